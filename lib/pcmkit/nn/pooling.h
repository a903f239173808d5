// Spatial pooling, as PyTorch's nn.MaxPool2d, nn.AvgPool2d (no padding) and
// nn.AdaptiveAvgPool2d((1, 1)) / F.avg_pool2d over the whole plane:
//   max:    out[i, c, y, x] = max over the k×k window at (y·s − p, x·s − p), padding ignored
//   avg:    out[i, c, y, x] = mean over the k×k window at (y·s, x·s)
//   global: out[i, c, 0, 0] = mean over the plane (summed in double)
// H_out = (H + 2p − k)/s + 1 (floor mode). Threads: OpenMP over images.
#pragma once

#include "pcmkit/nn/module.h"

namespace pcmkit::nn {

class MaxPool2d : public Module {
 public:
  // Requires: kernel ≥ 1, stride ≥ 1, 0 ≤ padding ≤ kernel/2 (as PyTorch) (PCMKIT_CHECK).
  MaxPool2d(Index kernel_size, Index stride, Index padding);
  // Requires: the padded input at least one kernel wide (PCMKIT_CHECK).
  Tensor forward(Tensor input) override;

 private:
  Index kernel_, stride_, padding_;
};

class AvgPool2d : public Module {
 public:
  // Requires: kernel ≥ 1, stride ≥ 1 (PCMKIT_CHECK).
  AvgPool2d(Index kernel_size, Index stride);
  // Requires: the input at least one kernel wide (PCMKIT_CHECK).
  Tensor forward(Tensor input) override;

 private:
  Index kernel_, stride_;
};

class GlobalAvgPool2d : public Module {
 public:
  Tensor forward(Tensor input) override;
};

}  // namespace pcmkit::nn
