// Accuracy of a network mapped onto PCM, against time after programming, over Monte-Carlo
// programming realisations (Joshi et al. 2020, Fig. 4/5): a sweep of work items, each one test-set
// accuracy. Per realisation the network is programmed once (analog/programmed_network.h: devices,
// the read at t_ref = t0, GDC, periphery); at each time every device is read afresh and the test
// set is classified with
//   none   W(t)
//   gdc    α(t)·W(t), α(t) = Σ|W(t_ref)| / Σ|W(t)| per layer
//   adabs  α(t)·W(t), then every BatchNorm's running statistics re-estimated on calibration
//          images from the training split (nn/batch_norm_reestimation.h); γ and β stay.
// An item's result depends on the seed, its realisation, time value and compensation alone, never
// on the other items of the run or on who computes it: items can be shared among processes
// (parallel/item_runner.h) and a sweep resumed from the items it finished.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pcmkit/analog/crossbar_periphery.h"
#include "pcmkit/analog/programmed_network.h"
#include "pcmkit/core/progress.h"
#include "pcmkit/data/image_dataset.h"
#include "pcmkit/device/pcm_model.h"
#include "pcmkit/nn/batch_norm_reestimation.h"
#include "pcmkit/nn/network.h"
#include "pcmkit/parallel/item_runner.h"

namespace pcmkit::experiment {

enum class Compensation { kNone, kGdc, kAdaBs };
const char* compensation_name(Compensation c);
// Errors: InputError{"", option, problem} for a name other than none, gdc, adabs.
Compensation parse_compensation(const std::string& name, const std::string& option);

struct DriftEvaluationOptions {
  std::vector<double> times_s = {25.0, 3600.0, 86400.0, 30 * 86400.0, 365.25 * 86400.0};
  int repeats = 10;  // programming realisations, ≥ 1
  std::vector<Compensation> compensations = {Compensation::kNone, Compensation::kGdc,
                                             Compensation::kAdaBs};
  std::uint64_t seed = 1;
  bool ideal_device = false;         // no programming, drift or noise: every point is fp32
  bool first_layer_digital = false;  // keep the first conv in fp32
  bool last_layer_digital = false;   // keep the final linear layer in fp32
  std::int64_t batch_size = 200;     // images per forward pass, ≥ 1
  std::int64_t max_test_images = 0;  // 0 = the whole test set
  std::int64_t adabs_images = 2600;  // calibration images for AdaBS, ≥ 1
  std::int64_t adabs_batch_size = 200;
  analog::PeripheryOptions periphery;  // all ideal (off) by default: the plain GEMM

  // Errors: InputError{"", field, problem} naming the field ("repeats"; "times_s" for times
  //   before model.t0_s); periphery options as PeripheryOptions::validate.
  void validate(const device::PcmModel& model) const;
  analog::AnalogMapping mapping() const;
  bool uses_adabs() const;  // AdaBS among the compensations
};

struct AccuracyPoint {
  double t_s = 0.0;
  Compensation compensation = Compensation::kNone;
  std::vector<double> accuracy_percent;        // one per repeat
  double mean = 0, std = 0, min = 0, max = 0;  // std: sample s.d. (n − 1); 0 when n = 1
};

struct DriftEvaluationResult {
  double fp32_accuracy_percent = 0.0;
  std::int64_t num_test_images = 0;
  std::int64_t num_adabs_images = 0;  // images AdaBS re-estimated on (≤ adabs_images); 0 = no AdaBS
  std::vector<AccuracyPoint> points;  // times × compensations, time-major
};

// Top-1 accuracy (%) of the network as it is, over (up to max_images of) the reader's images.
double evaluate_accuracy(nn::Network& network,
                         data::ImageDataset& images,
                         std::int64_t batch_size,
                         std::int64_t max_images = 0);
// The same for any per-image class scores (n × classes for a batch of n images; the first
// largest score is the prediction), e.g. an ensemble's mean softmax.
double top1_accuracy(data::ImageDataset& images,
                     std::int64_t batch_size,
                     std::int64_t max_images,
                     const std::function<nn::RowMatrixXf(const nn::Tensor&)>& scores);

// One unit of a sweep: the accuracy of one realisation at one time with one compensation, or of
// the fp32 network.
struct EvaluationItem {
  int realisation = -1;  // −1: the fp32 network (no devices)
  std::size_t time_index = 0;
  std::size_t compensation_index = 0;
};

// The sweep's items, in the order they are handed out: the fp32 network, then realisation by
// realisation, time by time, compensation by compensation. With the ideal device, the fp32
// network and one item per compensation: every time and realisation would give the same result.
std::vector<EvaluationItem> evaluation_items(const DriftEvaluationOptions& options);

// The seed of realisation r of a sweep with seed `seed` (SplitMix64: well spread, independent).
std::uint64_t realisation_seed(std::uint64_t seed, int realisation);

// Computes items one at a time. Consecutive items of one realisation program it once, and of one
// time read it once. The network's weights and BatchNorm statistics are restored on destruction.
class DriftItemEvaluator {
 public:
  // `calibration` may be null when AdaBS is not requested (else InternalError). Arguments must
  // outlive this object. Requires: options valid for model.
  DriftItemEvaluator(nn::Network& network,
                     const device::PcmModel& model,
                     data::ImageDataset& test,
                     data::ImageDataset* calibration,
                     const DriftEvaluationOptions& options);
  ~DriftItemEvaluator();
  DriftItemEvaluator(const DriftItemEvaluator&) = delete;
  DriftItemEvaluator& operator=(const DriftItemEvaluator&) = delete;

  // Top-1 test accuracy (%) of the item. Random: realisation_seed(seed, realisation); read noise
  // keyed by the time's value (analog/programmed_weights.h). Cost: one test-set pass (plus the
  // AdaBS pass, a programming or a read when the item needs them).
  double accuracy_percent(const EvaluationItem& item);

 private:
  nn::Network& network_;
  const device::PcmModel& model_;
  data::ImageDataset& test_;
  data::ImageDataset* calibration_;
  const DriftEvaluationOptions& options_;
  nn::BatchNormStatistics trained_statistics_;
  std::unique_ptr<analog::ProgrammedNetwork> programmed_;
  int programmed_realisation_ = -1;
};

// Assembles the sweep's result from every item's accuracy (accuracy[i] for items[i] of
// evaluation_items(options)). Requires: as many accuracies as items.
DriftEvaluationResult assemble_drift_result(const DriftEvaluationOptions& options,
                                            const std::vector<double>& accuracy,
                                            std::int64_t num_test_images,
                                            std::int64_t num_adabs_images);

// How a sweep runs: who computes the items, which are known already, who hears of each.
struct DriftSweepControl {
  parallel::ItemRunner* runner = nullptr;   // null: this process alone
  std::map<std::int64_t, double> finished;  // item index → accuracy known (e.g. from a journal)
  parallel::ItemFinished on_finished;       // each newly computed item, on the collecting process
};

// Runs the sweep. Returns the result on the collecting process, nullopt on the others.
// Progress counts items (those already finished included). The network is restored on return.
// Cost: one test-set pass per item not yet finished, plus AdaBS passes.
std::optional<DriftEvaluationResult> run_drift_sweep(nn::Network& network,
                                                     const device::PcmModel& model,
                                                     data::ImageDataset& test,
                                                     data::ImageDataset* calibration,
                                                     const DriftEvaluationOptions& options,
                                                     const ProgressCallback& progress,
                                                     const DriftSweepControl& control);

// The whole sweep in this process: run_drift_sweep with no items known.
DriftEvaluationResult evaluate_drift(nn::Network& network,
                                     const device::PcmModel& model,
                                     data::ImageDataset& test,
                                     data::ImageDataset* calibration,
                                     const DriftEvaluationOptions& options,
                                     const ProgressCallback& progress = {});

}  // namespace pcmkit::experiment
