// Element-wise ReLU, out = max(in, 0), in place.
#pragma once

#include "pcmkit/nn/module.h"

namespace pcmkit::nn {

class ReLU : public Module {
 public:
  // Threads: OpenMP over images.
  Tensor forward(Tensor input) override;
};

}  // namespace pcmkit::nn
