// Accuracy of a network mapped onto PCM, against time after programming, over Monte-Carlo
// programming realisations (Joshi et al. 2020, Fig. 4/5). Per realisation, every analog layer is
// programmed once (analog/programmed_weights.h) and read at t_ref = t0 for GDC; then, at each
// evaluation time, every device is read afresh and the test set is classified with
//   none   W(t)
//   gdc    α(t)·W(t), α(t) = Σ|W(t_ref)| / Σ|W(t)| per layer (applied to the layer output,
//          which for these linear layers equals scaling the weight)
//   adabs  α(t)·W(t), then every BatchNorm's running mean and variance re-estimated on
//          calibration images from the training split (cumulative average over batches, as
//          PyTorch's momentum=None in training mode); γ and β stay.
// With a periphery (analog/crossbar_periphery.h: tiles, DAC, ADC), every analog layer computes
// through it instead: the crossbar holds W(t) (W_max of the layer's mapping), and α(t) is applied
// in digital after the ADC. With the ideal device the crossbar holds the fp32 weight (W_max =
// max|W|), so the points show the periphery alone. Layers kept digital never use it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pcmkit/analog/crossbar_periphery.h"
#include "pcmkit/core/progress.h"
#include "pcmkit/data/image_dataset.h"
#include "pcmkit/device/pcm_model.h"
#include "pcmkit/nn/network.h"

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

  // Errors: InputError{"", "--option", problem}; times before model.t0_s name "--times";
  //   periphery options as PeripheryOptions::validate.
  void validate(const device::PcmModel& model) const;
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

// Runs the evaluation. The network's weights and BatchNorm statistics are restored on return.
// `calibration` may be null when AdaBS is not requested (else InternalError).
// Random: realisation r uses seed mix(seed, r); results depend on the seed only.
// Cost: repeats × times × compensations test-set passes, plus AdaBS passes.
DriftEvaluationResult evaluate_drift(nn::Network& network,
                                     const device::PcmModel& model,
                                     data::ImageDataset& test,
                                     data::ImageDataset* calibration,
                                     const DriftEvaluationOptions& options,
                                     const ProgressCallback& progress = {});

}  // namespace pcmkit::experiment
