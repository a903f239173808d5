// The parameter-free ResNet shortcut "option A" of He et al. 2016 (CIFAR), exactly as
// pytorch_resnet_cifar10 (akamaster) writes it:
//   F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes//4, planes//4))
// Every second row and column is kept (starting at 0), and planes/4 zero channels are added on
// BOTH sides: output channel c holds input channel c − planes/4, so the identity channels sit in
// the middle (16 → 32: zeros in channels 0–7 and 24–31).
#pragma once

#include "pcmkit/nn/module.h"

namespace pcmkit::nn {

class ShortcutA : public Module {
 public:
  // Requires: planes ≥ 1 (PCMKIT_CHECK).
  explicit ShortcutA(Index planes);
  Index pad_channels() const { return planes_ / 4; }
  // Output [n, in_channels + 2·(planes/4), ceil(h/2), ceil(w/2)]. Threads: OpenMP over images.
  Tensor forward(Tensor input) override;
  // Training: forward(); backward routes g[i, c + pad, y, x] to dx[i, c, 2y, 2x] (zero elsewhere).
  Tensor forward_train(Tensor input) override;
  Tensor backward(Tensor grad_output) override;

 private:
  Index planes_;
  Index in_channels_ = -1, in_height_ = 0, in_width_ = 0;  // of forward_train()'s input
};

}  // namespace pcmkit::nn
