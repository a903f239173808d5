// Training a network on the CIFAR-10 training split, optionally hardware-aware (Joshi et al.,
// Nat. Commun. 11, 2473 (2020), Methods; analog/weight_noise.h):
//   for every epoch e: a shuffled order of the training images (data::shuffled_order);
//     for every mini-batch (the last one of an epoch may be smaller, as PyTorch's DataLoader):
//       the images, randomly cropped and flipped (data::CifarAugmentation);
//       with weight noise η > 0: every analog layer computes with W + δW drawn for this step;
//       forward in training mode (BatchNorm with batch statistics, or with its running ones
//       frozen in the last frozen_batch_norm_epochs epochs), softmax cross-entropy with label
//       smoothing, backward; one SGD step on the clean weights with the schedule's learning rate
//       for this step; with clipping α > 0: every analog layer clipped to ±α·std(W).
//     then the noise is cleared and the test accuracy of the clean network is measured.
// Random: every draw is counter-based on (seed, epoch, step, image): a run resumed from the
// checkpoint of epoch e continues bit for bit as if it had never stopped.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "pcmkit/core/progress.h"
#include "pcmkit/data/cifar10_binary.h"
#include "pcmkit/data/cifar10_training_set.h"
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
  data::CifarAugmentation augmentation;
  std::uint64_t seed = 1;
  std::int64_t max_train_images = 0;  // 0 = the whole training split (fewer: for tests)
  std::int64_t max_test_images = 0;   // 0 = the whole test set

  // Errors: InputError{"", "--option", problem} for a value outside its range.
  void validate() const;
  // Steps per epoch for a training split of n images (the last batch may be partial).
  std::int64_t steps_per_epoch(std::int64_t num_train_images) const;
};

struct EpochRecord {
  int epoch = 0;             // 1-based
  double learning_rate = 0;  // at the epoch's last step
  double train_loss = 0;     // mean over the epoch's images (with noise, as trained)
  double train_accuracy_percent = 0;
  double test_accuracy_percent = 0;  // clean weights
  double seconds = 0;                // wall time of the epoch (training and test)
};

class Trainer {
 public:
  // The network is trained in place; it must outlive the trainer.
  // Errors: as TrainingOptions::validate.
  Trainer(nn::Network& network, TrainingOptions options);

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

  // Restores the state of a run stopped after log.size() epochs (a checkpoint): the network's
  // weights and the optimiser's buffers must be restored by the caller.
  void restore_log(std::vector<EpochRecord> log) { log_ = std::move(log); }

 private:
  nn::Network& network_;
  TrainingOptions options_;
  std::unique_ptr<nn::Sgd> sgd_;
  std::vector<EpochRecord> log_;
};

}  // namespace pcmkit::experiment
