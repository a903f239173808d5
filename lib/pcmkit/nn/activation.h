// Element-wise ReLU, out = max(in, 0), in place. Backward: dx = g where out > 0, else 0 (as
// PyTorch's threshold_backward on the result).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "pcmkit/nn/module.h"

namespace pcmkit::nn {

class ReLU : public Module {
 public:
  // Threads: OpenMP over images.
  Tensor forward(Tensor input) override;
  // Keeps which outputs are positive (one byte per value, not a copy of the output).
  // Threads: OpenMP over values.
  Tensor forward_train(Tensor input) override;
  // forward_train(input + addend) in one pass (a residual block's sum and ReLU).
  // Requires: same shapes (PCMKIT_CHECK). Threads: OpenMP over values.
  Tensor forward_train_after_add(Tensor input, const Tensor& addend);
  // dx = g where the output was positive. Threads: OpenMP over values.
  Tensor backward(Tensor grad_output) override;

 private:
  std::vector<std::uint8_t> positive_;  // forward_train()'s out > 0, until backward()
  std::array<Index, 4> shape_{};        // forward_train()'s output shape
  bool has_train_cache_ = false;
};

}  // namespace pcmkit::nn
