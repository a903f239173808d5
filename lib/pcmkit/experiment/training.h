// Training a network on the CIFAR-10 training split, optionally hardware-aware (Joshi et al.,
// Nat. Commun. 11, 2473 (2020), Methods; analog/weight_noise.h):
//   for every epoch e: a shuffled order of the training images (data::shuffled_order);
//     for every mini-batch (the last one of an epoch may be smaller, as PyTorch's DataLoader):
//       the images, randomly cropped and flipped (data::CifarAugmentation), then optionally
//       mixed across the batch, labels with them (mixup or CutMix: data/batch_mixing.h);
//       with weight noise η > 0: every analog layer computes with W + δW drawn for this step;
//       forward in training mode (BatchNorm with batch statistics, or with its running ones
//       frozen in the last frozen_batch_norm_epochs epochs), softmax cross-entropy with label
//       smoothing (with teachers: mixed with their softened outputs on the same images,
//       nn/distillation_loss.h), backward; one SGD step on the clean weights with the
//       schedule's learning rate for this step; with clipping α > 0: every analog layer clipped
//       to ±α·std(W); with an EMA decay d > 0: the weight average moves (nn/exponential_moving_
//       average.h).
//     then the noise is cleared and the test accuracy of the clean network is measured (of the
//     average, with EMA: the network a run exports; the last iterate's is logged beside it).
//     With EMA and ema_batch_norm_images > 0, the average's BatchNorm statistics are first
//     re-estimated on training images with the averaged weights (as torch.optim.swa_utils.
//     update_bn): the averaged running statistics belong to the iterates of the last few
//     epochs, not to the averaged weights, and at a falling learning rate they no longer match.
// Random: every draw is counter-based on (seed, epoch, step, image): a run resumed from the
// checkpoint of epoch e continues bit for bit as if it had never stopped.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pcmkit/core/progress.h"
#include "pcmkit/data/batch_mixing.h"
#include "pcmkit/data/cifar10_binary.h"
#include "pcmkit/data/cifar10_training_set.h"
#include "pcmkit/nn/batch_norm_reestimation.h"
#include "pcmkit/nn/exponential_moving_average.h"
#include "pcmkit/nn/lr_schedule.h"
#include "pcmkit/nn/network.h"
#include "pcmkit/nn/sgd.h"

namespace pcmkit::experiment {

// Joshi et al. 2020's hardware-aware settings: η = 0.94 µS programming noise over G_max = 25 µS,
// and clipping at two standard deviations.
inline constexpr double kPaperWeightNoise = 0.038;
inline constexpr double kPaperClipAlpha = 2.0;

struct TrainingOptions {
  int epochs = 200;               // ≥ 1
  std::int64_t batch_size = 128;  // ≥ 2 (BatchNorm needs two images)
  double learning_rate = 0.1;     // the schedule's base (peak for one-cycle)
  nn::LrScheduleKind schedule = nn::LrScheduleKind::kCosine;
  std::vector<int> milestone_epochs = {100, 150};  // step schedule
  double gamma = 0.1;                              // step schedule
  double warmup_fraction = 0.3;                    // one-cycle: pct_start
  nn::SgdOptions sgd = {.momentum = 0.9, .nesterov = true, .weight_decay = 5e-4};
  double label_smoothing = 0.0;  // ε in [0, 1)
  double weight_noise = 0.0;     // η: δW ~ N(0, (η·max|W|)²) per mini-batch; 0 = off
  double clip_alpha = 0.0;       // α: clip to ±α·std(W) after each update; 0 = off
  // The last this many epochs train with BatchNorm's running statistics frozen (0..epochs): with
  // weight noise, each mini-batch's noise then shifts the channels as a programmed network's
  // does at inference, instead of being normalised away by the batch statistics.
  int frozen_batch_norm_epochs = 0;
  // Exponential moving average of the weights, 0 = off, else in [0.9, 1): the averaged network
  // is the one tested, checkpointed and exported.
  double ema_decay = 0.0;
  // With EMA: 0 = the average keeps its own averaged BatchNorm statistics; N > 0 = the network
  // tested, checkpointed and exported has them re-estimated after every epoch, with its clean
  // weights (the iterates' running statistics saw weight noise when η > 0), on the first
  // min(N, n) images of that epoch's order (augmented as trained, not mixed), rounded down to
  // whole batches (all n, one batch, when the split is smaller than a batch). The averaged
  // statistics go on being averaged underneath, so training itself does not change.
  // Requires N ≥ batch_size, and no frozen BatchNorm epochs (whose point is to keep the
  // statistics the weights were trained against).
  std::int64_t ema_batch_norm_images = 0;
  // Knowledge distillation: weight α of the teachers' soft targets (0 = off) and temperature T.
  // The teachers (weights files of architecture teacher_arch) are given to the Trainer as
  // networks; they are named here so that a run records and checks them.
  double distillation_weight = 0.0;
  double distillation_temperature = 4.0;
  std::vector<std::string> teachers;
  std::string teacher_arch;
  data::CifarAugmentation augmentation;
  // Mixup or CutMix of each mini-batch (kind kNone = off); the teachers see the mixed images.
  data::BatchMixing mixing;
  std::uint64_t seed = 1;
  std::int64_t max_train_images = 0;  // 0 = the whole training split (fewer: for tests)
  std::int64_t max_test_images = 0;   // 0 = the whole test set

  // Errors: InputError{"", field, problem} for a value outside its range, the field named as in
  //   the settings JSON ("learning_rate", "mixing_probability").
  void validate() const;
  // Steps per epoch for a training split of n images (the last batch may be partial).
  std::int64_t steps_per_epoch(std::int64_t num_train_images) const;
  // The Cutout side the network's BatchNorm statistics saw (0 without augmentation): what its
  // weights files record as training_cutout, for AdaBS to reproduce.
  int trained_cutout() const { return augmentation.enabled ? augmentation.cutout : 0; }
};

struct EpochRecord {
  int epoch = 0;             // 1-based
  double learning_rate = 0;  // at the epoch's last step
  double train_loss = 0;     // mean over the epoch's images (with noise, as trained)
  double train_accuracy_percent = 0;
  double test_accuracy_percent = 0;  // clean weights (the average, with EMA)
  double last_iterate_test_accuracy_percent =
      0;               // the weights before averaging (= the above without EMA)
  double seconds = 0;  // wall time of the epoch (training and test)
};

// Top-1 accuracy (%) of an ensemble: the mean of the networks' softmax outputs (at T = 1), over
// (up to max_images of) the images; for one network, its plain accuracy. Used to report a
// distillation run's teachers. Requires: at least one network (PCMKIT_CHECK).
double ensemble_accuracy(const std::vector<nn::Network*>& networks,
                         data::ImageDataset& images,
                         std::int64_t batch_size,
                         std::int64_t max_images = 0);

class Trainer {
 public:
  // The network is trained in place; it and the teachers (one per options.teachers, in eval
  // mode, unchanged) must outlive the trainer.
  // Errors: as TrainingOptions::validate; InputError{"", "teachers", ...} when the teachers do
  //   not match options.teachers or have another class count than the network.
  Trainer(nn::Network& network, TrainingOptions options, std::vector<nn::Network*> teachers = {});

  // Runs the epochs after epochs_done() up to options.epochs. After each epoch, calls
  // on_epoch_end (which writes the checkpoint and the log); an exception from it stops the run.
  // Progress: stage "epoch E/N", steps done of the epoch's steps, once per step.
  // Threads: OpenMP inside the layers; results never depend on the thread count.
  void run(const data::CifarTrainingSet& train,
           data::CifarBinaryReader& test,
           const std::function<void(Trainer&)>& on_epoch_end,
           const ProgressCallback& progress = {});

  const TrainingOptions& options() const { return options_; }
  int epochs_done() const { return static_cast<int>(log_.size()); }
  const std::vector<EpochRecord>& log() const { return log_; }
  nn::Sgd& optimizer() { return *sgd_; }
  nn::Network& network() { return network_; }
  // The weight average (null without EMA), to save and restore.
  nn::ExponentialMovingAverage* average() { return average_.get(); }

  // The average's re-estimated BatchNorm statistics (TrainingOptions::ema_batch_norm_images),
  // null before the first epoch and without re-estimation.
  const nn::BatchNormStatistics* reestimated_statistics() const {
    return reestimated_statistics_ ? &*reestimated_statistics_ : nullptr;
  }

  // Restores the state of a run stopped after log.size() epochs (a checkpoint): the network's
  // weights and the optimiser's buffers must be restored by the caller.
  void restore_log(std::vector<EpochRecord> log) { log_ = std::move(log); }
  // Restores the re-estimated statistics from a checkpoint: they are the network's now.
  void restore_reestimated_statistics() { reestimated_statistics_.emplace(network_); }

 private:
  // TrainingOptions::ema_batch_norm_images: the average's BatchNorm statistics re-estimated with
  // its clean weights on the first images of `order` (this epoch's), into
  // reestimated_statistics_; the network is left as it was (on error too).
  void reestimate_average_statistics(const data::CifarTrainingSet& train,
                                     std::vector<std::int64_t> order,
                                     int epoch);

  nn::Network& network_;
  TrainingOptions options_;
  std::vector<nn::Network*> teachers_;
  std::unique_ptr<nn::Sgd> sgd_;
  std::unique_ptr<nn::ExponentialMovingAverage> average_;
  std::optional<nn::BatchNormStatistics> reestimated_statistics_;
  std::vector<EpochRecord> log_;
};

// The network a run tests, checkpoints and exports, in the trainer's network for the guard's
// lifetime: the last iterate without EMA; with EMA the average, with its re-estimated BatchNorm
// statistics when there are any. Everything is put back after.
class ScopedExportedNetwork {
 public:
  explicit ScopedExportedNetwork(Trainer& trainer);
  ~ScopedExportedNetwork();
  ScopedExportedNetwork(const ScopedExportedNetwork&) = delete;
  ScopedExportedNetwork& operator=(const ScopedExportedNetwork&) = delete;

 private:
  nn::ScopedAverageWeights averaged_;
  std::optional<nn::BatchNormStatistics> averaged_statistics_;
};

}  // namespace pcmkit::experiment
