#include "pcmkit/experiment/training.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "pcmkit/analog/weight_noise.h"
#include "pcmkit/core/error.h"
#include "pcmkit/data/cifar10_training_images.h"
#include "pcmkit/experiment/drift_evaluation.h"
#include "pcmkit/nn/batch_norm2d.h"
#include "pcmkit/nn/distillation_loss.h"
#include "pcmkit/nn/loss.h"

namespace pcmkit::experiment {

void TrainingOptions::validate() const {
  require_input(epochs >= 1, "", "epochs", "must be >= 1", epochs);
  require_input(batch_size >= 2, "", "batch_size", "must be >= 2 (BatchNorm needs two images)",
                static_cast<double>(batch_size));
  require_input(learning_rate > 0 && std::isfinite(learning_rate), "", "learning_rate",
                "must be > 0", learning_rate);
  if (schedule == nn::LrScheduleKind::kStep) {
    for (std::size_t k = 0; k < milestone_epochs.size(); ++k)
      require_input(milestone_epochs[k] >= 1 && milestone_epochs[k] <= epochs &&
                        (k == 0 || milestone_epochs[k] > milestone_epochs[k - 1]),
                    "", "milestone_epochs", "must increase within 1..epochs", milestone_epochs[k]);
    require_input(gamma > 0 && gamma <= 1, "", "gamma", "must be in (0, 1]", gamma);
  }
  if (schedule == nn::LrScheduleKind::kOneCycle)
    require_input(warmup_fraction > 0 && warmup_fraction < 1, "", "warmup_fraction",
                  "must be in (0, 1)", warmup_fraction);
  sgd.validate();
  require_input(label_smoothing >= 0 && label_smoothing < 1, "", "label_smoothing",
                "must be in [0, 1)", label_smoothing);
  require_input(weight_noise >= 0 && std::isfinite(weight_noise), "", "weight_noise",
                "must be >= 0", weight_noise);
  require_input(clip_alpha >= 0 && std::isfinite(clip_alpha), "", "clip_alpha",
                "must be >= 0 (0 = no clipping)", clip_alpha);
  require_input(frozen_batch_norm_epochs >= 0 && frozen_batch_norm_epochs <= epochs, "",
                "frozen_batch_norm_epochs", "must be in 0..epochs", frozen_batch_norm_epochs);
  require_input(augmentation.padding >= 0 && augmentation.padding <= 16, "", "crop_padding",
                "must be in 0..16", augmentation.padding);
  require_input(augmentation.cutout >= 0 && augmentation.cutout <= 32, "", "cutout",
                "must be in 0..32 pixels (0 = off)", augmentation.cutout);
  require_input(ema_decay == 0 || (ema_decay >= 0.9 && ema_decay < 1), "", "ema_decay",
                "must be 0 (off) or in [0.9, 1)", ema_decay);
  require_input(ema_batch_norm_images >= 0, "", "ema_batch_norm_images", "must be >= 0 (0 = off)",
                static_cast<double>(ema_batch_norm_images));
  if (ema_batch_norm_images > 0) {
    require_input(ema_decay > 0, "", "ema_batch_norm_images", "needs ema_decay > 0",
                  static_cast<double>(ema_batch_norm_images));
    require_input(ema_batch_norm_images >= batch_size, "", "ema_batch_norm_images",
                  "must be >= batch_size (whole batches)",
                  static_cast<double>(ema_batch_norm_images));
    require_input(frozen_batch_norm_epochs == 0, "", "ema_batch_norm_images",
                  "cannot be combined with frozen BatchNorm epochs (it would replace the "
                  "statistics they train against)",
                  static_cast<double>(ema_batch_norm_images));
  }
  require_input(distillation_weight >= 0 && distillation_weight <= 1, "", "distillation_weight",
                "must be in [0, 1]", distillation_weight);
  require_input(distillation_temperature > 0 && distillation_temperature <= 100, "",
                "distillation_temperature", "must be in (0, 100]", distillation_temperature);
  if ((distillation_weight > 0) != !teachers.empty())
    throw InputError("", "teachers",
                     distillation_weight > 0
                         ? "a distillation weight > 0 needs at least one teacher"
                         : "a teacher needs a distillation weight > 0");
  if (mixing.kind != data::BatchMixingKind::kNone) {
    require_input(mixing.alpha > 0 && mixing.alpha <= 100, "", "mixing_alpha",
                  "must be in (0, 100] (alpha of Beta(alpha, alpha))", mixing.alpha);
    require_input(mixing.probability > 0 && mixing.probability <= 1, "", "mixing_probability",
                  "must be in (0, 1]", mixing.probability);
  }
  require_input(max_train_images >= 0, "", "max_train_images", "must be >= 0",
                static_cast<double>(max_train_images));
  require_input(max_test_images >= 0, "", "max_test_images", "must be >= 0",
                static_cast<double>(max_test_images));
}

std::int64_t TrainingOptions::steps_per_epoch(std::int64_t num_train_images) const {
  return (num_train_images + batch_size - 1) / batch_size;
}

double ensemble_accuracy(const std::vector<nn::Network*>& networks,
                         data::ImageDataset& images,
                         std::int64_t batch_size,
                         std::int64_t max_images) {
  PCMKIT_CHECK(!networks.empty(), "ensemble_accuracy: no network");
  return top1_accuracy(images, batch_size, max_images, [&](const nn::Tensor& x) {
    return nn::ensemble_probabilities(networks, x, 1.0);
  });
}

Trainer::Trainer(nn::Network& network, TrainingOptions options, std::vector<nn::Network*> teachers)
    : network_(network), options_(std::move(options)), teachers_(std::move(teachers)) {
  options_.validate();
  if (teachers_.size() != options_.teachers.size())
    throw InputError("", "teachers",
                     std::to_string(teachers_.size()) + " teacher networks for " +
                         std::to_string(options_.teachers.size()) + " teacher files");
  for (std::size_t k = 0; k < teachers_.size(); ++k)
    if (teachers_[k]->num_classes() != network_.num_classes() ||
        teachers_[k]->in_channels() != network_.in_channels())
      throw InputError(options_.teachers[k], "teachers",
                       "a network of " + std::to_string(teachers_[k]->num_classes()) +
                           " classes cannot teach one of " +
                           std::to_string(network_.num_classes()));
  sgd_ = std::make_unique<nn::Sgd>(network_.parameters(), options_.sgd);
  if (options_.ema_decay > 0)
    average_ = std::make_unique<nn::ExponentialMovingAverage>(network_, options_.ema_decay);
}

void Trainer::run(const data::CifarTrainingSet& train,
                  data::CifarBinaryReader& test,
                  const std::function<void(Trainer&)>& on_epoch_end,
                  const ProgressCallback& progress) {
  using Clock = std::chrono::steady_clock;
  const std::int64_t n = options_.max_train_images > 0
                             ? std::min(options_.max_train_images, train.num_images())
                             : train.num_images();
  PCMKIT_CHECK(n >= 2, "Trainer: fewer than two training images");
  const std::int64_t steps = options_.steps_per_epoch(n);
  nn::LrScheduleOptions schedule_options;
  schedule_options.kind = options_.schedule;
  schedule_options.base_learning_rate = options_.learning_rate;
  schedule_options.total_steps = steps * options_.epochs;
  for (int e : options_.milestone_epochs) schedule_options.milestones.push_back(e * steps);
  schedule_options.gamma = options_.gamma;
  schedule_options.pct_start = options_.warmup_fraction;
  const nn::LrSchedule schedule(schedule_options);
  const std::vector<nn::AnalogLayerRef> layers = network_.analog_layers();
  const std::vector<nn::BatchNorm2d*> batch_norms = network_.batch_norms();
  const auto freeze_batch_norms = [&](bool frozen) {
    for (nn::BatchNorm2d* bn : batch_norms) bn->set_frozen_statistics(frozen);
  };

  for (int epoch = epochs_done(); epoch < options_.epochs; ++epoch) {
    const auto start = Clock::now();
    const auto e = static_cast<std::uint64_t>(epoch);
    // The first n images of the split, in this epoch's order.
    std::vector<std::int64_t> order = data::shuffled_order(n, options_.seed, e);
    freeze_batch_norms(epoch >= options_.epochs - options_.frozen_batch_norm_epochs);
    data::CifarBatch batch;
    double loss_sum = 0;
    std::int64_t correct = 0;
    double lr = 0;
    for (std::int64_t s = 0; s < steps; ++s) {
      const std::int64_t first = s * options_.batch_size;
      const std::int64_t count = std::min(options_.batch_size, n - first);
      if (count < 2) break;  // a single leftover image cannot form a BatchNorm batch
      const std::span<const std::int64_t> indices(order.data() + first,
                                                  static_cast<std::size_t>(count));
      train.make_batch(indices, options_.augmentation, options_.seed, e, batch);
      const std::int64_t step = epoch * steps + s;
      const data::BatchMix mix =
          options_.mixing.kind == data::BatchMixingKind::kNone
              ? data::BatchMix{}
              : data::mix_batch(options_.mixing, options_.seed, static_cast<std::uint64_t>(step),
                                batch.images);
      if (options_.weight_noise > 0)
        analog::inject_weight_noise(layers, options_.weight_noise, options_.seed,
                                    static_cast<std::uint64_t>(step));
      // The teachers see the student's images (its augmentation), with clean weights.
      const nn::RowMatrixXf soft_targets =
          teachers_.empty() ? nn::RowMatrixXf()
                            : nn::ensemble_probabilities(teachers_, batch.images,
                                                         options_.distillation_temperature);
      network_.zero_grad();
      const nn::RowMatrixXf logits = network_.forward_train(std::move(batch.images));
      const auto diverged = [&](const std::string& what) {
        return RunError("training diverged: " + what + " at epoch " + std::to_string(epoch + 1) +
                        ", step " + std::to_string(s + 1) + " (lower --lr?)");
      };
      if (!logits.allFinite()) throw diverged("non-finite logits");
      // A mixed batch learns the mixed targets; an unmixed one its labels, as without mixing.
      const nn::RowMatrixXf targets =
          mix.mixed ? mix.targets(batch.labels, logits.cols()) : nn::RowMatrixXf();
      const double smoothing = options_.label_smoothing;
      const double alpha = options_.distillation_weight, t = options_.distillation_temperature;
      const nn::CrossEntropyResult ce =
          teachers_.empty()
              ? (mix.mixed ? nn::softmax_cross_entropy(logits, targets, smoothing)
                           : nn::softmax_cross_entropy(logits, batch.labels, smoothing))
              : (mix.mixed
                     ? nn::distillation_loss(logits, targets, soft_targets, alpha, t, smoothing)
                     : nn::distillation_loss(logits, batch.labels, soft_targets, alpha, t,
                                             smoothing));
      if (!std::isfinite(ce.loss)) throw diverged("loss is " + std::to_string(ce.loss));
      network_.backward(ce.dlogits);
      lr = schedule.learning_rate(step);
      sgd_->step(lr);
      if (options_.clip_alpha > 0) analog::clip_weights(layers, options_.clip_alpha);
      if (average_) average_->update();
      loss_sum += ce.loss * static_cast<double>(count);
      correct += ce.num_correct;
      if (progress)
        progress({"epoch " + std::to_string(epoch + 1) + "/" + std::to_string(options_.epochs),
                  s + 1, steps});
    }
    analog::clear_weight_noise(layers);
    freeze_batch_norms(false);
    // Never checkpoint a broken network: every parameter and statistic must be finite.
    for (const nn::ParameterRef& p : network_.parameters())
      if (!std::all_of(p.values.begin(), p.values.end(), [](float v) { return std::isfinite(v); }))
        throw RunError("training diverged: " + p.name + " is not finite after epoch " +
                       std::to_string(epoch + 1) + " (lower --lr or --weight-noise?)");
    network_.refresh();
    EpochRecord record;
    record.epoch = epoch + 1;
    record.learning_rate = lr;
    record.train_loss = loss_sum / static_cast<double>(n);
    record.train_accuracy_percent = 100.0 * static_cast<double>(correct) / static_cast<double>(n);
    record.last_iterate_test_accuracy_percent =
        evaluate_accuracy(network_, test, 200, options_.max_test_images);
    record.test_accuracy_percent = record.last_iterate_test_accuracy_percent;
    if (average_ && options_.ema_batch_norm_images > 0)
      reestimate_average_statistics(train, std::move(order), epoch);
    if (average_) {
      const ScopedExportedNetwork exported(*this);
      record.test_accuracy_percent =
          evaluate_accuracy(network_, test, 200, options_.max_test_images);
    }
    record.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    log_.push_back(record);
    if (on_epoch_end) on_epoch_end(*this);
  }
}

void Trainer::reestimate_average_statistics(const data::CifarTrainingSet& train,
                                            std::vector<std::int64_t> order,
                                            int epoch) {
  // The first images of this epoch's order, in whole batches (or all n when fewer).
  const auto n = static_cast<std::int64_t>(order.size());
  std::int64_t m = std::min(options_.ema_batch_norm_images, n);
  if (m >= options_.batch_size) m -= m % options_.batch_size;
  order.resize(static_cast<std::size_t>(m));
  data::CifarTrainingImages images(train, std::move(order), options_.augmentation, options_.seed,
                                   static_cast<std::uint64_t>(epoch));
  const nn::ScopedAverageWeights averaged(average_.get());
  const nn::BatchNormStatistics averaged_statistics(network_);
  std::optional<nn::BatchNormStatistics> reestimated;
  try {
    nn::reestimate_batch_norms(network_, images, m, options_.batch_size);
    for (nn::BatchNorm2d* bn : network_.batch_norms())
      if (!bn->running_mean().allFinite() || !bn->running_var().allFinite())
        throw RunError(
            "training diverged: the average's re-estimated BatchNorm statistics are not finite "
            "after epoch " +
            std::to_string(epoch + 1));
    reestimated.emplace(network_);
  } catch (...) {
    averaged_statistics.restore();  // the average keeps its own statistics
    throw;
  }
  averaged_statistics.restore();
  reestimated_statistics_ = std::move(reestimated);
}

ScopedExportedNetwork::ScopedExportedNetwork(Trainer& trainer) : averaged_(trainer.average()) {
  if (trainer.average() && trainer.reestimated_statistics()) {
    averaged_statistics_.emplace(trainer.network());
    trainer.reestimated_statistics()->restore();
  }
}

ScopedExportedNetwork::~ScopedExportedNetwork() {
  if (averaged_statistics_) averaged_statistics_->restore();
}

}  // namespace pcmkit::experiment
