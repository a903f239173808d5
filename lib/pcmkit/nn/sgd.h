// Stochastic gradient descent with momentum, as torch.optim.SGD (dampening 0). Per parameter w
// with gradient g, buffer b (zero before the first step), learning rate η, momentum μ, weight
// decay λ, all in float:
//   d = g + λ·w;  b = μ·b + d;  d = nesterov ? d + μ·b : b;  w = w − η·d.
// (With μ = 0 the buffer is unused and d = g + λ·w.) PyTorch starts the buffer as a copy of d,
// which is the same float value as μ·0 + d.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "pcmkit/nn/module.h"

namespace pcmkit::nn {

struct SgdOptions {
  double momentum = 0.9;      // μ, in [0, 1)
  bool nesterov = false;      // requires momentum > 0 (as PyTorch)
  double weight_decay = 0.0;  // λ ≥ 0 (L2 penalty λ/2·|w|² added through the gradient)
  // False: no weight decay for parameters of rank 1, i.e. BatchNorm γ, β and every bias.
  // True (PyTorch's default): decay everything.
  bool decay_batch_norm_and_bias = true;
  // Errors: InputError{"", field, problem} for a value outside its range.
  void validate() const;
};

// One momentum buffer, named as its parameter (e.g. "layer1.0.conv1.weight").
struct MomentumBufferRef {
  std::string name;
  std::span<float> values;  // the parameter's size; valid while the Sgd lives
};

class Sgd {
 public:
  // Keeps the trainable parameters of `parameters` (those with a gradient) and zero buffers.
  //   The spans must stay valid while the Sgd lives (the Network must outlive it).
  // Errors: as SgdOptions::validate.
  Sgd(std::vector<ParameterRef> parameters, SgdOptions options);

  // One update of every kept parameter with learning rate η (≥ 0) from its accumulated gradient.
  // Requires: learning_rate ≥ 0 and finite (PCMKIT_CHECK). Threads: single-threaded, element-wise.
  void step(double learning_rate);
  // The momentum buffers in parameter order (empty when momentum = 0), to save and restore.
  std::vector<MomentumBufferRef> momentum_buffers();
  const SgdOptions& options() const { return options_; }
  const std::vector<ParameterRef>& parameters() const { return parameters_; }

 private:
  SgdOptions options_;
  std::vector<ParameterRef> parameters_;
  std::vector<std::vector<float>> buffers_;
};

}  // namespace pcmkit::nn
