// 2-D convolution (cross-correlation, as PyTorch's nn.Conv2d with groups = 1, dilation = 1):
//   out[i, o, y, x] = b[o] + Σ_{c, ky, kx} W[o, c, ky, kx] · in[i, c, y·s − p + ky, x·s − p + kx]
// with zeros outside the input; H_out = (H + 2p − k)/s + 1 (integer division), same for W.
// Computed as im2col + one Eigen float GEMM per chunk of images: W (out × c·k·k) times the
// columns (c·k·k × images·H_out·W_out).
#pragma once

#include "pcmkit/nn/module.h"

namespace pcmkit::nn {

class Conv2d : public Module, public AnalogLayer {
 public:
  // A zero weight [out_channels, in_channels, kernel_size, kernel_size] (and zero bias if `bias`).
  // Requires: channels and kernel ≥ 1, stride ≥ 1, padding ≥ 0 (PCMKIT_CHECK).
  Conv2d(Index in_channels,
         Index out_channels,
         Index kernel_size,
         Index stride,
         Index padding,
         bool bias = false);

  Index in_channels() const { return in_channels_; }
  Index out_channels() const { return weight_.rows(); }
  Index kernel_size() const { return kernel_; }
  Index stride() const { return stride_; }
  Index padding() const { return padding_; }
  bool has_bias() const { return bias_.size() > 0; }
  Eigen::VectorXf& bias() { return bias_; }

  // Requires: input.channels() == in_channels and the padded input at least one kernel wide
  //   (PCMKIT_CHECK).
  // Threads: OpenMP over chunks of images; the chunks depend only on the batch and layer shape,
  //   so results never depend on the thread count.
  // Cost: 2·out·in·k²·H_out·W_out flops per image; scratch of about kColumnsPerChunk·(in·k² + out)
  //   floats per thread.
  Tensor forward(Tensor input) override;
  void collect_parameters(const std::string& prefix, std::vector<ParameterRef>& out) override;
  void collect_analog_layers(const std::string& prefix, std::vector<AnalogLayerRef>& out) override;

  // Output columns (images × H_out·W_out) per GEMM; images are never split across chunks.
  static constexpr Index kColumnsPerChunk = 2048;

 private:
  Index in_channels_, kernel_, stride_, padding_;
  Eigen::VectorXf bias_;
};

}  // namespace pcmkit::nn
