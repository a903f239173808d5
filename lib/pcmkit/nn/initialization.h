// Initial weights for training from scratch, as torchvision's ResNet and PyTorch's defaults:
//   Conv2d weight ~ N(0, 2/fan_out), fan_out = out_channels·k² (kaiming_normal_, mode "fan_out",
//     nonlinearity "relu"); Conv2d bias = 0
//   BatchNorm2d γ = 1, β = 0, running mean 0, running variance 1
//   Linear weight and bias ~ U(−1/sqrt(fan_in), 1/sqrt(fan_in)) (nn.Linear.reset_parameters:
//     kaiming_uniform_ with a = √5, whose bound is exactly 1/sqrt(fan_in))
// Draws come from a counter-based generator (core/random_stream.h), so the weights depend on the
// seed only. They are not PyTorch's numbers for the same seed (its generator differs).
#pragma once

#include <cstdint>

#include "pcmkit/nn/network.h"

namespace pcmkit::nn {

// Sets every parameter and buffer of `network` as above, then refreshes it. Gradients are
// untouched.
// Random: RandomStream::kWeightInit; item = the layer's index in network.analog_layers(), draw =
//   the element's index in the weight (then the bias, from weight.size() on).
// Requires: every analog layer is a Conv2d or a Linear (PCMKIT_CHECK).
void initialize_for_training(Network& network, std::uint64_t seed);

}  // namespace pcmkit::nn
