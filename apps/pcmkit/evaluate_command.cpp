#include "evaluate_command.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "command.h"
#include "pcmkit/core/atomic_file.h"
#include "pcmkit/core/detail/gnuplot.h"
#include "pcmkit/core/detail/interruption_note.h"
#include "pcmkit/core/error.h"
#include "pcmkit/core/threads.h"
#include "pcmkit/core/value_list.h"
#include "pcmkit/data/cifar10_binary.h"
#include "pcmkit/data/evaluation_data.h"
#include "pcmkit/device/pcm_model_json.h"
#include "pcmkit/experiment/drift_evaluation.h"
#include "pcmkit/experiment/drift_report.h"
#include "pcmkit/experiment/evaluation_settings.h"
#include "pcmkit/experiment/sweep_journal.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/weights_hdf5.h"
#include "pcmkit/parallel/mpi_item_runner.h"
#include "pcmkit/parallel/mpi_session.h"

namespace pcmkit::cli {
namespace {

namespace fs = std::filesystem;

std::string default_weights() {
  const fs::path shared = "../shared/weights/resnet32-d509ac18.h5";
  return fs::exists(shared) ? shared.string() : "";
}

}  // namespace

void add_evaluate_command(CLI::App& app, EvaluateOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "evaluate", "Accuracy of a network mapped onto PCM against time after programming");
  cmd->add_option("--model", o.model, "Device model JSON (from calibrate or calibration/)");
  cmd->add_option("--device", o.device, "pcm, or ideal (no noise: every point is fp32)")
      ->check(CLI::IsMember({"pcm", "ideal"}))
      ->capture_default_str();
  cmd->add_option("--weights", o.weights,
                  "Network weights (HDF5, PyTorch state_dict names; default "
                  "../shared/weights/resnet32-d509ac18.h5 when present)");
  cmd->add_option("--arch", o.arch, "Network: " + nn::resnet_names())->capture_default_str();
  cmd->add_option("--data", o.data_dir,
                  "Test images: a CIFAR-10 binary directory (test_batch.bin; default "
                  "~/.cache/pcmkit/cifar10, filled by tools/fetch_cifar10.sh), or an "
                  "ImageNet-style folder of JPEGs (one sub-folder per class, or labels.txt "
                  "with lines '<file> <label>')");
  cmd->add_option("--calibration-data", o.calibration_data,
                  "AdaBS calibration images: for an image folder, the training split's folder "
                  "(images taken round-robin across classes); for CIFAR-10, the directory of "
                  "data_batch_1.bin (default: --data)");
  cmd->add_option("--resize", o.resize, "Image folders: resize the shorter side to this")
      ->capture_default_str();
  cmd->add_option("--crop", o.crop, "Image folders: centre crop of this side")
      ->capture_default_str();
  cmd->add_option("--times", o.times, "Times after programming")->capture_default_str();
  cmd->add_option("--repeats", o.repeats, "Programming realisations")->capture_default_str();
  cmd->add_option("--compensation", o.compensation, "Any of none, gdc, adabs")
      ->capture_default_str();
  add_seed_option(cmd, o.seed);
  cmd->add_option("--batch-size", o.batch_size, "Images per forward pass")->capture_default_str();
  cmd->add_option("--max-images", o.max_images, "Test images used (0 = all)")
      ->capture_default_str();
  cmd->add_option("--adabs-images", o.adabs_images,
                  "Training images for AdaBS (default 2600 for CIFAR-10, 1300 for image "
                  "folders)");
  cmd->add_option("--adabs-augmentation", o.adabs_augmentation,
                  "CIFAR-10: crop and flip the AdaBS images as in training (true/false; the "
                  "BatchNorm statistics a network was trained with are those of augmented images)")
      ->capture_default_str();
  cmd->add_option("--adabs-cutout", o.adabs_cutout,
                  "CIFAR-10: also cut a square of this side (pixels) out of each AdaBS image, as "
                  "the network was trained (default: the weights file's training_cutout, which "
                  "pcmkit train --cutout records; else 0 = none)");
  cmd->add_flag("--first-layer-digital", o.first_digital, "Keep the first layer in fp32");
  cmd->add_flag("--last-layer-digital", o.last_digital, "Keep the last layer in fp32");
  cmd->add_option("--dac-bits", o.dac_bits,
                  "Input DAC bits per analog layer (0 = ideal; 2-24; per-tile abs-max scaling)")
      ->capture_default_str();
  cmd->add_option("--adc-bits", o.adc_bits, "Output ADC bits per tile (0 = ideal; 2-24)")
      ->capture_default_str();
  cmd->add_option("--adc-range", o.adc_range,
                  "ADC clipping bound on the normalised tile output (aihwkit out_bound)")
      ->capture_default_str();
  cmd->add_option("--tile-size", o.tile_size,
                  "Crossbar tile ROWSxCOLS: max inputs x outputs per tile (0 = unlimited)")
      ->capture_default_str();
  cmd->add_option("--threads", o.threads, "Threads (0 = all cores; results do not depend on it)");
  cmd->add_flag("--quiet", o.quiet, "No progress on stderr");
  cmd->add_flag("--resume", o.resume,
                "Continue the interrupted sweep journalled in the output folder (sweep.journal): "
                "only the items it lacks are computed, the results are those of an "
                "uninterrupted run");
  cmd->add_option("-o,--output", o.output, "Results directory")->required();
  cmd->callback([&o]() {
    const FlagNames flags = {{"data_dir", "--data"},
                             {"calibration_dir", "--calibration-data"},
                             {"resize_shorter_side", "--resize"},
                             {"crop_size", "--crop"},
                             {"times_s", "--times"},
                             {"repeats", "--repeats"},
                             {"compensations", "--compensation"},
                             {"batch_size", "--batch-size"},
                             {"max_test_images", "--max-images"},
                             {"adabs_images", "--adabs-images"},
                             {"calibration_cutout", "--adabs-cutout"},
                             {"dac_bits", "--dac-bits"},
                             {"adc_bits", "--adc-bits"},
                             {"adc_range", "--adc-range"},
                             {"tile_rows", "--tile-size"},
                             {"tile_cols", "--tile-size"},
                             {"threads", "--threads"}};
    throw CLI::RuntimeError(with_flag_names(flags, [&o] { return run_evaluate(o); }));
  });
}

int run_evaluate(const EvaluateOptions& o) {
  set_num_threads(o.threads);
  const parallel::MpiSession* mpi = parallel::current_mpi_session();
  const bool writer = !mpi || mpi->rank() == 0;  // rank 0 alone writes and reports
  const bool ideal = o.device == "ideal";
  if (!ideal && o.model.empty())
    throw InputError("", "--model", "a device model is required (or --device ideal)");
  const device::PcmModel model =
      ideal ? device::PcmModel::published() : device::read_model_file(o.model).model;
  const std::string weights = o.weights.empty() ? default_weights() : o.weights;
  if (weights.empty())
    throw InputError("", "--weights",
                     "no weights given and ../shared/weights/resnet32-d509ac18.h5 not found "
                     "(train one with pcmkit train, or export PyTorch weights with "
                     "tools/export_pytorch_weights.py)");
  experiment::DriftEvaluationOptions options;
  options.times_s = parse_duration_list(o.times, "--times");
  options.repeats = o.repeats;
  options.compensations.clear();
  for (const std::string& name : split_list(o.compensation))
    options.compensations.push_back(experiment::parse_compensation(name, "--compensation"));
  options.seed = o.seed;
  options.ideal_device = ideal;
  options.first_layer_digital = o.first_digital;
  options.last_layer_digital = o.last_digital;
  options.batch_size = o.batch_size;
  options.max_test_images = o.max_images;
  const fs::path data_dir = o.data_dir.empty() ? data::default_cifar10_dir() : fs::path(o.data_dir);
  const data::DatasetKind kind = data::detect_dataset_kind(data_dir);
  options.adabs_images = o.adabs_images.value_or(data::default_adabs_images(kind));
  options.periphery.dac_bits = o.dac_bits;
  options.periphery.adc_bits = o.adc_bits;
  options.periphery.adc_range = o.adc_range;
  analog::parse_tile_size(o.tile_size, "--tile-size", options.periphery);
  options.validate(model);
  const bool adabs = options.uses_adabs();
  require_outside_input(o.output, "--output", data_dir, "--data");
  require_outside_input(o.output, "--output", o.calibration_data, "--calibration-data");
  require_outside_input(o.output, "--output", weights, "--weights");
  require_outside_input(o.output, "--output", o.model, "--model");

  nn::Network network = nn::make_resnet(o.arch);
  const nn::WeightsFileInfo info = nn::load_weights_hdf5(weights, network);
  data::EvaluationDataOptions data_options;
  data_options.data_dir = data_dir;
  data_options.calibration_dir = o.calibration_data;
  data_options.calibration_images = adabs ? options.adabs_images : 0;
  data_options.calibration_augmentation = o.adabs_augmentation;
  data_options.calibration_cutout = o.adabs_cutout.value_or(info.training_cutout);
  data_options.calibration_seed = o.seed;
  data_options.preprocessing = {o.resize, o.crop, info.normalization};
  data_options.num_classes = static_cast<int>(network.num_classes());
  const data::EvaluationData data = data::open_evaluation_data(data_options);
  if (writer) require_creatable_directory(o.output);

  experiment::EvaluationInputs inputs;
  inputs.arch = o.arch;
  inputs.weights = weights;
  inputs.device_model = ideal ? fs::path() : fs::path(o.model);
  inputs.data = data_dir;
  inputs.data_kind = kind;
  inputs.calibration_data = o.calibration_data;
  inputs.adabs_augmentation = o.adabs_augmentation;
  inputs.adabs_cutout = data_options.calibration_cutout;
  inputs.resize = o.resize;
  inputs.crop = o.crop;
  const experiment::RunSettings settings = experiment::evaluation_settings(options, inputs);

  const std::vector<experiment::EvaluationItem> items = experiment::evaluation_items(options);
  const auto num_items = static_cast<std::int64_t>(items.size());
  if (ideal && writer && !o.quiet)
    std::fprintf(stderr,
                 "pcmkit evaluate: ideal device: evaluated once per compensation (every time "
                 "and realisation gives the same accuracy)\n");
  std::unique_ptr<experiment::SweepJournal> journal;
  experiment::DriftSweepControl control;
  std::error_code exists_ec;
  const bool output_existed = fs::exists(o.output, exists_ec);
  if (writer) {
    journal = std::make_unique<experiment::SweepJournal>(o.output, settings.fingerprint(),
                                                         num_items, o.resume);
    control.finished = journal->finished();
    if (o.resume && !o.quiet)
      std::fprintf(stderr, "pcmkit evaluate: resuming: %zu of %lld items already in %s\n",
                   control.finished.size(), static_cast<long long>(num_items),
                   journal->path().string().c_str());
    const auto note = [&journal, num_items] {
      set_interruption_note(std::to_string(journal->finished().size()) + " of " +
                            std::to_string(num_items) + " items kept in " +
                            journal->path().string() + "; rerun with --resume to finish");
    };
    note();
    control.on_finished = [&journal, note](std::int64_t item, double accuracy) {
      journal->record(item, accuracy);
      note();
    };
  }
  std::unique_ptr<parallel::MpiItemRunner> mpi_runner;
  if (mpi && mpi->size() > 1) {
    mpi_runner = std::make_unique<parallel::MpiItemRunner>();
    control.runner = mpi_runner.get();
  }

  ProgressPrinter progress("pcmkit evaluate", o.quiet || !writer);
  std::optional<experiment::DriftEvaluationResult> result;
  bool figure = false;
  // From the writing of the results on, a signal waits until the journal they replace is gone
  // and its note cleared: an interruption leaves the journal or the results, never both.
  std::optional<SignalsWait> results_and_journal_together;
  try {
    result = experiment::run_drift_sweep(network, model, *data.test, data.calibration.get(),
                                         options, progress.callback(), control);
    if (!result) return kExitOk;  // another rank writes
    std::fputs(experiment::accuracy_table(*result).c_str(), stdout);
    results_and_journal_together.emplace();
    for (const fs::path& p : experiment::write_drift_results(*result, settings, o.output)) {
      std::printf("wrote %s\n", p.string().c_str());
      figure = figure || p.filename() == "accuracy.png";
    }
  } catch (const InputError&) {
    // Bad data met during the sweep: resuming would meet it again. A journal this run began
    // goes, with the folder when this run created it.
    clear_interruption_note();
    if (journal && !o.resume) {
      journal->remove();
      std::error_code ec;
      if (!output_existed) fs::remove(o.output, ec);  // only when empty
    }
    throw;
  } catch (const RunError& e) {
    clear_interruption_note();
    if (!journal || journal->finished().empty()) throw;
    throw RunError(std::string(e.what()) + "; the " + std::to_string(journal->finished().size()) +
                   " items computed are kept in " + journal->path().string() +
                   ": rerun with --resume to write the results");
  }
  clear_interruption_note();
  journal->remove();
  results_and_journal_together.reset();
  if (!figure)
    std::fprintf(stderr, "pcmkit evaluate: warning: accuracy.png not drawn (%s)\n",
                 have_gnuplot() ? "gnuplot failed on accuracy.gp" : "gnuplot is not installed");
  return kExitOk;
}

}  // namespace pcmkit::cli
