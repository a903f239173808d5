// 2-D convolution (cross-correlation, as PyTorch's nn.Conv2d with groups = 1, dilation = 1):
//   out[i, o, y, x] = b[o] + Σ_{c, ky, kx} W[o, c, ky, kx] · in[i, c, y·s − p + ky, x·s − p + kx]
// with zeros outside the input; H_out = (H + 2p − k)/s + 1 (integer division), same for W.
// Computed as im2col + one Eigen float GEMM per chunk of images: W (out × c·k·k) times the
// columns (c·k·k × images·H_out·W_out); 3×3 "same" convolutions (stride 1, padding 1) use
// Winograd's F(4×4, 3×3) by default instead (winograd_conv3x3.h), selectable per layer.
#pragma once

#include "pcmkit/nn/module.h"
#include "pcmkit/nn/winograd_conv3x3.h"

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

  // Requires: input.channels() == in_channels and the padded input at least one kernel wide
  //   (PCMKIT_CHECK).
  // Threads: OpenMP over chunks of images (Winograd: as many per thread, WinogradBatchSplit);
  //   no value depends on its chunk, so results never depend on the thread count.
  // Cost: 2·out·in·k²·H_out·W_out flops per image; per thread, scratch of about
  //   kColumnFloatsPerChunk·(1 + out/(in·k²)) floats (more when one image needs more).
  //   Winograd F(4×4): about 2·out·in·9·H·W/4 flops in GEMMs plus the tile transforms; scratch
  //   as in winograd_conv3x3.h for about kWinogradFloatsPerChunk floats of tiles, and a copy of
  //   the transformed weight (36·out·in floats) kept per layer.
  Tensor forward(Tensor input) override;

  // What forward_fused applies to each output value v[i, o, y, x] (after the bias), in order:
  //   v = scale[o]·v + shift[o]  (a folded BatchNorm2d, when scale is set)
  //   v = v + residual[i, o, y, x]  (when residual is set)
  //   v = max(v, 0)  (when relu)
  // The same float operations as running BatchNorm2d, the residual add and ReLU one after the
  // other, but done while the GEMM result is still in cache instead of in extra passes over the
  // tensor. Pointers are not kept beyond the call.
  struct Epilogue {
    const Eigen::VectorXf* scale = nullptr;  // out_channels values; requires shift
    const Eigen::VectorXf* shift = nullptr;
    const Tensor* residual = nullptr;  // the output's shape
    bool relu = false;
  };
  // forward() followed by the epilogue. Requires: as forward(), and scale and shift both set or
  //   both null with out_channels values, residual of the output's shape (PCMKIT_CHECK).
  // Threads, cost: as forward().
  Tensor forward_fused(const Tensor& input, const Epilogue& epilogue);
  void collect_parameters(const std::string& prefix, std::vector<ParameterRef>& out) override;
  void collect_analog_layers(const std::string& prefix, std::vector<AnalogLayerRef>& out) override;

  // Training pass (Module::forward_train): forward() with forward_weight(), caching the input.
  // Threads, cost: as forward(). (conv2d_train.cpp)
  Tensor forward_train(Tensor input) override;
  // The input forward_train() keeps for backward() (empty otherwise): a block's identity
  // shortcut reads it instead of keeping a copy.
  const Tensor& train_input() const { return train_input_; }
  // Backward pass (Module::backward), per chunk of images (the chunks of forward()):
  //   dW_chunk = G · colsᵀ, db_chunk = G · 1 (G: out × columns of grad_output; cols: im2col),
  //   d(cols) = forward_weight()ᵀ · G, then col2im adds d(cols) into dL/d(input); for "same"
  //   convolutions (stride 1, output plane = input plane) dL/d(input) is instead the
  //   correlation of grad_output with the flipped kernel (forward_fused of the transposed
  //   convolution, with this layer's algorithm).
  // The chunks' dW and db are summed in chunk order, then added to master_weight_grad() and
  // bias_grad(). Layers on a Winograd algorithm compute dW and dx together with
  // winograd_weight_gradient.h (same tile size; its own fixed chunks) and db as sums in image
  // order instead.
  // Requires, threads: as Module::backward. Cost: twice forward()'s flops, plus
  // (chunks · out · in·k²) floats of partial dW (Winograd: (m+2)²·out·in per chunk).
  Tensor backward(Tensor grad_output) override;
  // Whether backward() computes dL/d(input) (default true). A network's first layer, whose input
  // is the images, sets it false: backward() then accumulates dW and db only and returns an
  // empty Tensor, saving the dx convolution (about a fifteenth of the backward pass's work in
  // the CIFAR ResNet-32 stem, more in an ImageNet 7×7 stem).
  void set_input_gradient(bool needed) { input_gradient_ = needed; }
  bool input_gradient() const { return input_gradient_; }

  // Floats of im2col columns per GEMM chunk (in·k² × images·H_out·W_out): small enough that the
  // columns stay in L2 (1 MB per core on Zen 5) between im2col and the GEMM. A chunk holds at
  // least one image; images are never split across chunks.
  static constexpr Index kColumnFloatsPerChunk = Index{1} << 17;  // 512 KB

  // How forward computes: im2col + GEMM (any geometry), or Winograd F(2×2, 3×3) / F(4×4, 3×3)
  // (4× fewer multiplications; rounding error up to ~3e-6 of Σ|w·x| instead of ~1e-7). Winograd
  // applies only to kernel 3, stride 1, padding 1; other layers fall back to im2col + GEMM.
  enum class Algorithm { kIm2colGemm, kWinograd2x2, kWinograd4x4 };
  // The build option PCMKIT_WINOGRAD=OFF makes im2col + GEMM the default.
#ifdef PCMKIT_CONV2D_IM2COL_DEFAULT
  static constexpr Algorithm kDefaultAlgorithm = Algorithm::kIm2colGemm;
#else
  static constexpr Algorithm kDefaultAlgorithm = Algorithm::kWinograd4x4;
#endif
  // Not thread-safe against concurrent forward calls on this layer.
  void set_algorithm(Algorithm algorithm) { algorithm_ = algorithm; }
  Algorithm algorithm() const { return algorithm_; }
  // The algorithm forward uses for this layer's geometry.
  Algorithm effective_algorithm() const;

 private:
  RowMatrixXf flipped_kernel() const;                              // conv2d_train.cpp
  Tensor flipped_kernel_forward(const Tensor& grad_output) const;  // conv2d_train.cpp
  Index in_channels_, kernel_, stride_, padding_;
  Tensor train_input_;  // forward_train()'s input, until backward()
  bool has_train_input_ = false;
  Algorithm algorithm_ = kDefaultAlgorithm;
  bool input_gradient_ = true;
  mutable WinogradWeightCache winograd_weights_;
};

}  // namespace pcmkit::nn
