// Element-wise ReLU, out = max(in, 0), in place. Backward: dx = g where out > 0, else 0 (as
// PyTorch's threshold_backward on the result).
#pragma once

#include "pcmkit/nn/module.h"

namespace pcmkit::nn {

class ReLU : public Module {
 public:
  // Threads: OpenMP over images.
  Tensor forward(Tensor input) override;
  // Caches the output. Threads: OpenMP over images.
  Tensor forward_train(Tensor input) override;
  Tensor backward(Tensor grad_output) override;

 private:
  Tensor output_;  // forward_train()'s output, until backward()
  bool has_train_cache_ = false;
};

}  // namespace pcmkit::nn
