// Spatial pooling, as PyTorch's nn.MaxPool2d, nn.AvgPool2d (no padding) and
// nn.AdaptiveAvgPool2d((1, 1)) / F.avg_pool2d over the whole plane:
//   max:    out[i, c, y, x] = max over the k×k window at (y·s − p, x·s − p), padding ignored
//   avg:    out[i, c, y, x] = mean over the k×k window at (y·s, x·s)
//   global: out[i, c, 0, 0] = mean over the plane (summed in double)
// H_out = (H + 2p − k)/s + 1 (floor mode). Threads: OpenMP over images.
// Backward (training): max routes each output gradient to the window's first maximum (row-major
// order, as PyTorch's CPU kernel); avg adds g/k² to each window element; global sets g/(H·W).
#pragma once

#include "pcmkit/nn/module.h"

namespace pcmkit::nn {

class MaxPool2d : public Module {
 public:
  // Requires: kernel ≥ 1, stride ≥ 1, 0 ≤ padding ≤ kernel/2 (as PyTorch) (PCMKIT_CHECK).
  MaxPool2d(Index kernel_size, Index stride, Index padding);
  // Requires: the padded input at least one kernel wide (PCMKIT_CHECK).
  Tensor forward(Tensor input) override;
  // Caches the input.
  Tensor forward_train(Tensor input) override;
  Tensor backward(Tensor grad_output) override;

 private:
  Index kernel_, stride_, padding_;
  Tensor train_input_;
  bool has_train_input_ = false;
};

class AvgPool2d : public Module {
 public:
  // Requires: kernel ≥ 1, stride ≥ 1 (PCMKIT_CHECK).
  AvgPool2d(Index kernel_size, Index stride);
  // Requires: the input at least one kernel wide (PCMKIT_CHECK).
  Tensor forward(Tensor input) override;
  Tensor forward_train(Tensor input) override;
  Tensor backward(Tensor grad_output) override;

 private:
  Index kernel_, stride_;
  Index in_height_ = -1, in_width_ = -1;  // of forward_train()'s input
};

class GlobalAvgPool2d : public Module {
 public:
  Tensor forward(Tensor input) override;
  Tensor forward_train(Tensor input) override;
  Tensor backward(Tensor grad_output) override;

 private:
  Index in_height_ = -1, in_width_ = -1;  // of forward_train()'s input
};

}  // namespace pcmkit::nn
