#include "train_command.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "command.h"
#include "pcmkit/core/atomic_file.h"
#include "pcmkit/core/detail/allocator_tuning.h"
#include "pcmkit/core/detail/interruption_note.h"
#include "pcmkit/core/error.h"
#include "pcmkit/core/threads.h"
#include "pcmkit/core/value_list.h"
#include "pcmkit/data/cifar10_binary.h"
#include "pcmkit/data/cifar10_training_set.h"
#include "pcmkit/experiment/training.h"
#include "pcmkit/experiment/training_checkpoint.h"
#include "pcmkit/experiment/training_report.h"
#include "pcmkit/nn/exponential_moving_average.h"
#include "pcmkit/nn/initialization.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/weights_hdf5.h"

namespace pcmkit::cli {
namespace {

namespace fs = std::filesystem;

nn::LrScheduleKind parse_schedule(const std::string& name) {
  if (name == "step") return nn::LrScheduleKind::kStep;
  if (name == "cosine") return nn::LrScheduleKind::kCosine;
  if (name == "onecycle") return nn::LrScheduleKind::kOneCycle;
  throw InputError("", "--schedule", "'" + name + "' is not one of step, cosine, onecycle");
}

}  // namespace

void add_train_command(CLI::App& app, TrainOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "train", "Train a CIFAR-10 ResNet, optionally hardware-aware (weight noise, clipping)");
  cmd->add_option("--arch", o.arch, "resnet20/32/44/56, resnet32-pcm")->capture_default_str();
  cmd->add_option("--data", o.data_dir,
                  "CIFAR-10 binary directory (default ~/.cache/pcmkit/cifar10, filled by "
                  "tools/fetch_cifar10.sh)");
  cmd->add_option("--epochs", o.epochs, "Epochs")->capture_default_str();
  cmd->add_option("--batch-size", o.batch_size, "Images per mini-batch")->capture_default_str();
  cmd->add_option("--lr", o.lr, "Base (peak) learning rate")->capture_default_str();
  cmd->add_option("--schedule", o.schedule, "step, cosine or onecycle")->capture_default_str();
  cmd->add_option("--milestones", o.milestones, "Step schedule: epochs where lr *= gamma")
      ->capture_default_str();
  cmd->add_option("--gamma", o.gamma, "Step schedule factor")->capture_default_str();
  cmd->add_option("--warmup", o.warmup, "One-cycle: fraction of the run warming up")
      ->capture_default_str();
  cmd->add_option("--momentum", o.momentum, "SGD momentum")->capture_default_str();
  cmd->add_option("--nesterov", o.nesterov, "Nesterov momentum (true/false)")
      ->capture_default_str();
  cmd->add_option("--weight-decay", o.weight_decay, "L2 weight decay")->capture_default_str();
  cmd->add_flag("--no-decay-bn-bias", o.no_decay_bn_bias,
                "No weight decay on BatchNorm parameters and biases");
  cmd->add_option("--label-smoothing", o.label_smoothing, "Label smoothing epsilon")
      ->capture_default_str();
  cmd->add_flag("--hardware-aware", o.hardware_aware,
                "Joshi et al. 2020's hardware-aware training: --weight-noise 0.038 --clip 2 "
                "(either may be given to override it)");
  cmd->add_option("--weight-noise", o.weight_noise,
                  "Weight noise eta: dW ~ N(0, (eta*max|W|)^2) per mini-batch (default 0 = off; "
                  "0.038 with --hardware-aware)");
  cmd->add_option("--clip", o.clip,
                  "Clip weights to +-alpha*std(W) after each step (default 0 = off; 2 with "
                  "--hardware-aware)");
  cmd->add_option("--frozen-bn-epochs", o.frozen_bn_epochs,
                  "Train the last N epochs with BatchNorm running statistics frozen (with weight "
                  "noise: the network then learns the channel shifts a programmed network has)")
      ->capture_default_str();
  cmd->add_flag("--no-augmentation", o.no_augmentation, "No random crop and flip");
  cmd->add_option("--cutout", o.cutout,
                  "Cutout: zero a random LxL square of each training image (0 = off; 16 is "
                  "DeVries & Taylor's choice for CIFAR-10)")
      ->capture_default_str();
  cmd->add_option("--mixup", o.mixup,
                  "Mixup: blend each mini-batch with a shuffled copy of itself, labels too, by "
                  "lambda ~ Beta(ALPHA, ALPHA) (0 = off; Zhang et al. used 1 on CIFAR-10)")
      ->capture_default_str();
  cmd->add_option("--cutmix", o.cutmix,
                  "CutMix: paste a random box from a shuffled copy of the mini-batch, labels by "
                  "area; box share ~ Beta(ALPHA, ALPHA) (0 = off; Yun et al.: 1 with "
                  "--mix-probability 0.5)")
      ->capture_default_str();
  cmd->add_option("--mix-probability", o.mix_probability,
                  "Fraction of the steps mixed by --mixup or --cutmix")
      ->capture_default_str();
  cmd->add_option("--ema-decay", o.ema_decay,
                  "Exponential moving average of the weights, tested and exported (0 = off, "
                  "e.g. 0.999)")
      ->capture_default_str();
  cmd->add_option("--ema-bn-images", o.ema_bn_images,
                  "With --ema-decay: re-estimate the average's BatchNorm statistics after each "
                  "epoch on this many training images (>= --batch-size, rounded down to whole "
                  "batches) before testing and exporting it (0 = keep the averaged statistics; "
                  "e.g. 10000)")
      ->capture_default_str();
  cmd->add_option("--teacher", o.teachers,
                  "Knowledge distillation from this weights file (repeat for an ensemble; needs "
                  "--distill-weight)");
  cmd->add_option("--teacher-arch", o.teacher_arch, "The teachers' architecture (default --arch)");
  cmd->add_option("--distill-weight", o.distill_weight,
                  "Weight alpha of the teachers' soft targets in the loss (0 = off)")
      ->capture_default_str();
  cmd->add_option("--distill-temperature", o.distill_temperature,
                  "Temperature T of the soft targets")
      ->capture_default_str();
  cmd->add_option("--init-weights", o.init_weights, "Start from these weights (fine-tuning)");
  cmd->add_flag("--resume", o.resume,
                "Continue the run whose checkpoint is in the output directory");
  add_seed_option(cmd, o.seed);
  cmd->add_option("--max-train-images", o.max_train_images, "Training images used (0 = all)")
      ->capture_default_str();
  cmd->add_option("--max-test-images", o.max_test_images, "Test images used (0 = all)")
      ->capture_default_str();
  cmd->add_option("--threads", o.threads, "Threads (0 = all cores)");
  cmd->add_flag("--quiet", o.quiet, "No progress on stderr");
  cmd->add_option("-o,--output", o.output, "Output directory (checkpoint, weights, log, plot)")
      ->required();
  cmd->callback([&o]() {
    const FlagNames flags = {{"epochs", "--epochs"},
                             {"batch_size", "--batch-size"},
                             {"learning_rate", "--lr"},
                             {"milestone_epochs", "--milestones"},
                             {"gamma", "--gamma"},
                             {"warmup_fraction", "--warmup"},
                             {"momentum", "--momentum"},
                             {"nesterov", "--nesterov"},
                             {"weight_decay", "--weight-decay"},
                             {"label_smoothing", "--label-smoothing"},
                             {"weight_noise", "--weight-noise"},
                             {"clip_alpha", "--clip"},
                             {"frozen_batch_norm_epochs", "--frozen-bn-epochs"},
                             {"cutout", "--cutout"},
                             {"mixing_alpha", o.mixup > 0 ? "--mixup" : "--cutmix"},
                             {"mixing_probability", "--mix-probability"},
                             {"ema_decay", "--ema-decay"},
                             {"ema_batch_norm_images", "--ema-bn-images"},
                             {"distillation_weight", "--distill-weight"},
                             {"distillation_temperature", "--distill-temperature"},
                             {"teachers", "--teacher"},
                             {"max_train_images", "--max-train-images"},
                             {"max_test_images", "--max-test-images"},
                             {"threads", "--threads"}};
    throw CLI::RuntimeError(with_flag_names(flags, [&o] { return run_train(o); }));
  });
}

int run_train(const TrainOptions& o) {
  set_num_threads(o.threads);
  // Every step allocates and frees tensors of several MB per layer: keep them in the heap.
  keep_freed_memory_in_heap();
  experiment::TrainingOptions options;
  options.epochs = o.epochs;
  options.batch_size = o.batch_size;
  options.learning_rate = o.lr;
  options.schedule = parse_schedule(o.schedule);
  options.milestone_epochs = parse_integer_list(o.milestones, "--milestones");
  options.gamma = o.gamma;
  options.warmup_fraction = o.warmup;
  options.sgd.momentum = o.momentum;
  options.sgd.nesterov = o.nesterov;
  options.sgd.weight_decay = o.weight_decay;
  options.sgd.decay_batch_norm_and_bias = !o.no_decay_bn_bias;
  options.label_smoothing = o.label_smoothing;
  options.weight_noise =
      o.weight_noise.value_or(o.hardware_aware ? experiment::kPaperWeightNoise : 0.0);
  options.clip_alpha = o.clip.value_or(o.hardware_aware ? experiment::kPaperClipAlpha : 0.0);
  options.frozen_batch_norm_epochs = o.frozen_bn_epochs;
  options.augmentation.enabled = !o.no_augmentation;
  options.augmentation.cutout = o.cutout;
  if (o.mixup > 0 && o.cutmix > 0)
    throw InputError("", "--cutmix", "cannot be combined with --mixup (choose one)");
  if (o.mixup < 0 || o.cutmix < 0)
    throw InputError("", o.mixup < 0 ? "--mixup" : "--cutmix", "must be >= 0 (0 = off)");
  if (o.mixup == 0 && o.cutmix == 0 && o.mix_probability != 1.0)
    throw InputError("", "--mix-probability", "needs --mixup or --cutmix");
  if (o.mixup > 0 || o.cutmix > 0)
    options.mixing = {o.mixup > 0 ? data::BatchMixingKind::kMixup : data::BatchMixingKind::kCutMix,
                      o.mixup > 0 ? o.mixup : o.cutmix, o.mix_probability};
  options.ema_decay = o.ema_decay;
  options.ema_batch_norm_images = o.ema_bn_images;
  options.distillation_weight = o.distill_weight;
  options.distillation_temperature = o.distill_temperature;
  options.teachers = o.teachers;
  options.teacher_arch =
      o.teachers.empty() ? "" : (o.teacher_arch.empty() ? o.arch : o.teacher_arch);
  options.seed = o.seed;
  options.max_train_images = o.max_train_images;
  options.max_test_images = o.max_test_images;
  options.validate();
  if (o.resume && !o.init_weights.empty())
    throw InputError("", "--init-weights", "cannot be combined with --resume");

  const fs::path out = o.output;
  require_outside_input(
      out, "-o", o.data_dir.empty() ? data::default_cifar10_dir() : fs::path(o.data_dir), "--data");
  require_outside_input(out, "-o", o.init_weights, "--init-weights");
  for (const std::string& teacher : o.teachers)
    require_outside_input(out, "-o", teacher, "--teacher");
  const fs::path checkpoint = out / "checkpoint.h5";
  if (o.resume && !fs::exists(checkpoint))
    throw InputError(checkpoint.string(), "", "no checkpoint to resume from");
  if (!o.resume && fs::exists(checkpoint))
    throw InputError(checkpoint.string(), "",
                     "exists: pass --resume to continue that run, or choose another -o");
  require_creatable_directory(out);

  nn::Network network = nn::make_resnet(o.arch);
  if (network.num_classes() != data::kCifarClasses)
    throw InputError("", "--arch",
                     o.arch +
                         " is an ImageNet network: train takes the CIFAR-10 ones (resnet20, "
                         "resnet32, resnet44, resnet56, resnet32-pcm)");
  nn::initialize_for_training(network, o.seed);
  nn::InputNormalization normalization = data::cifar10_normalization();
  if (!o.init_weights.empty()) {
    const nn::WeightsFileInfo info = nn::load_weights_hdf5(o.init_weights, network);
    if (!info.normalization.mean.empty()) normalization = info.normalization;
  }
  // The teachers, in evaluation mode, with the normalisation of their files (checked equal to
  // the student's: they see the same images).
  std::vector<nn::Network> teacher_networks;
  for (const std::string& file : options.teachers) {
    teacher_networks.push_back(nn::make_resnet(options.teacher_arch));
    const nn::WeightsFileInfo info = nn::load_weights_hdf5(file, teacher_networks.back());
    if (!info.normalization.mean.empty() && (info.normalization.mean != normalization.mean ||
                                             info.normalization.std != normalization.std))
      throw InputError(file, "input_normalization_mean",
                       "the teacher normalises its input differently from the student");
  }
  std::vector<nn::Network*> teachers;
  for (nn::Network& t : teacher_networks) teachers.push_back(&t);
  experiment::Trainer trainer(network, options, teachers);
  std::string init_weights = o.init_weights;
  if (o.resume) {
    experiment::TrainingCheckpointInfo info =
        experiment::load_training_checkpoint(checkpoint, trainer);
    normalization = info.normalization;
    init_weights = info.init_weights;  // settings.json keeps naming the file a fine-tune began from
  }
  // A run stopped after its last checkpoint but before its weights were written is finished by
  // --resume; with the weights there it is complete.
  const bool all_epochs_done = trainer.epochs_done() >= options.epochs;
  if (all_epochs_done && fs::exists(out / "weights.h5"))
    throw InputError(checkpoint.string(), "", "the run is already complete");
  // What an interruption keeps, said by the signal handler (core/detail/interruption_note.h).
  const auto note_kept = [&](int epochs_done) {
    set_interruption_note("epoch " + std::to_string(epochs_done) + " of " +
                          std::to_string(options.epochs) + " kept in " + checkpoint.string() +
                          "; rerun with --resume to finish");
  };
  if (trainer.epochs_done() > 0) note_kept(trainer.epochs_done());
  // The epochs left, each ending in a checkpoint, log and figure written together.
  const auto train_remaining_epochs = [&] {
    const fs::path data_dir =
        o.data_dir.empty() ? data::default_cifar10_dir() : fs::path(o.data_dir);
    const data::CifarTrainingSet train(data::cifar10_training_files(data_dir), normalization);
    data::CifarBinaryReader test({data::cifar10_test_file(data_dir)}, normalization);
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec) throw RunError(out.string() + ": cannot create directory");
    write_text_atomically(
        out / "settings.json",
        experiment::training_settings_json(o.arch, init_weights, data_dir.string(), options));

    if (!teachers.empty() && !o.quiet) {
      std::string line = "teachers' test accuracy:";
      for (std::size_t k = 0; k < teachers.size(); ++k) {
        char item[64];
        std::snprintf(item, sizeof item, " %.2f%%",
                      experiment::ensemble_accuracy({teachers[k]}, test, 200, o.max_test_images));
        line += item;
      }
      if (teachers.size() > 1) {
        char item[64];
        std::snprintf(item, sizeof item, "; ensemble %.2f%%",
                      experiment::ensemble_accuracy(teachers, test, 200, o.max_test_images));
        line += item;
      }
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    ProgressPrinter progress("pcmkit train", o.quiet);
    int epochs_here = 0;      // the run's time left, from the epochs of this process (a resumed run
    double seconds_here = 0;  // may run at another speed than before)
    trainer.run(
        train, test,
        [&](experiment::Trainer& t) {
          // The checkpoint, log and figure of this epoch replace the last epoch's together.
          OutputSet epoch_outputs;
          experiment::add_training_checkpoint(epoch_outputs, checkpoint, t, normalization,
                                              init_weights);
          experiment::add_training_log(epoch_outputs, t.log(), out);
          epoch_outputs.commit();
          note_kept(t.epochs_done());
          const experiment::EpochRecord& record = t.log().back();
          ++epochs_here;
          seconds_here += record.seconds;
          const int epochs_left = options.epochs - record.epoch;
          std::string line = experiment::epoch_summary(record, options.epochs);
          if (epochs_left > 0)
            line += "; run " + time_left_text(seconds_here / epochs_here * epochs_left) + " left";
          if (!o.quiet) std::fprintf(stderr, "%s\n", line.c_str());
        },
        progress.callback());
  };
  if (!all_epochs_done) train_remaining_epochs();
  {
    const experiment::ScopedExportedNetwork exported(trainer);  // the run's network
    nn::save_weights_hdf5(out / "weights.h5", network, normalization, nullptr,
                          options.trained_cutout());
  }
  clear_interruption_note();
  const experiment::EpochRecord& last = trainer.log().back();
  std::printf("%s\nwrote %s\n", experiment::epoch_summary(last, options.epochs).c_str(),
              (out / "weights.h5").string().c_str());
  if (!all_epochs_done) std::printf("wrote %s\n", (out / "log.csv").string().c_str());
  return kExitOk;
}

}  // namespace pcmkit::cli
