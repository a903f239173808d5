// 3×3 convolution with stride 1 and padding 1 (the output has the input's h × w), by Winograd's
// minimal filtering F(m×m, 3×3) (Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural
// Networks", eq. 8). Per output tile Y (m × m) of output channel o:
//   Y = Aᵀ [ Σ_c U_{o,c} ⊙ V_c ] A,  U_{o,c} = G g_{o,c} Gᵀ,  V_c = Bᵀ d_c B,
// with g the 3×3 kernel and d the (m+2)×(m+2) input tile (zeros outside the image). The sum over
// c is, for each of the (m+2)² tile elements ξ, one GEMM
//   M_ξ [(tile, image) × out] = V_ξ [(tile, image) × in] · U_ξ [in × out]
// (a register-blocked product, winograd_transforms.h). The input is transposed once to
// channel-last order with a zero border; then, block by block of tile rows, the input transform
// (vectorised over 16 channels), the 36 products and the output transform run while the block
// is in L2, and the output goes back to NCHW through 16 × 16 register transposes with the
// epilogue applied on the way.
// m = 2 does 16 products per 4 outputs, m = 4 does 36 per 16 (2.25× and 4× fewer than direct).
// Not exact: the transforms add rounding error that grows with m; measured up to 1.4e-7 (m = 2)
// and 3.4e-6 (m = 4) of Σ|w·x| against ~1e-7 for a direct sum (tests/nn/winograd_conv3x3_test.cpp
// states the budgets). On the shared CIFAR ResNets, m = 4 moves the logits by up to 6e-5 from
// PyTorch's (im2col + GEMM: 2.5e-5) and changes no prediction.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <mutex>

#include "pcmkit/nn/tensor.h"

namespace pcmkit::nn {

enum class WinogradTile : int { k2x2 = 2, k4x4 = 4 };

// The transformed kernels U, stored [ξ][in][out_stride] (ξ = row·(m+2) + column of the tile
// element), zero in the columns from out_channels to out_stride.
struct WinogradWeights {
  // Transforms `weight`, out × in·9 (PyTorch's [out, in, 3, 3] flattened), in double precision.
  // Requires: weight.cols() == 9·in_channels, in_channels ≥ 1 (PCMKIT_CHECK).
  // Threads: OpenMP over output channels. Cost: ≈ 200·out·in flops.
  WinogradWeights(const RowMatrixXf& weight, Index in_channels, WinogradTile tile);
  WinogradTile tile;
  Index in_channels, out_channels;
  Index out_stride;  // out_channels rounded up to a multiple of 16 (whole vectors)
  Eigen::VectorXf u;
};

// The transformed weight of one layer, rebuilt only when the weight it came from changes. The
// weight is compared by value (≈ 4·out·in·9 bytes read per call), because a layer's weight can
// change in place (ParameterRef, master_weight()) without notice. Copies start empty.
// Threads: get() is safe to call concurrently; the result stays valid while held.
class WinogradWeightCache {
 public:
  WinogradWeightCache() = default;
  WinogradWeightCache(const WinogradWeightCache&) {}
  WinogradWeightCache& operator=(const WinogradWeightCache&) { return *this; }
  std::shared_ptr<const WinogradWeights> get(const RowMatrixXf& weight,
                                             Index in_channels,
                                             WinogradTile tile);

 private:
  std::mutex mutex_;
  RowMatrixXf source_;
  std::shared_ptr<const WinogradWeights> weights_;
};

// How a batch of n images is split into calls of winograd_conv3x3: `count` chunks, chunk k
// holding images [first(k), first(k + 1)) (sizes differ by at most one image), each small enough
// that the padded channel-last input (in·(h+2)·(w+2) floats per image, rounded up to whole
// tiles) stays within about kWinogradFloatsPerChunk floats unless it holds a single image, and
// `count` a multiple of `threads` when there are enough images: with the 7 chunks of 19 images a
// 64-channel layer of a batch of 128 would otherwise get, one of two threads idles a fifth of the
// layer's time. The output does not depend on the split (each value's operations are the same).
inline constexpr Index kWinogradFloatsPerChunk = Index{1} << 17;  // 512 KB
struct WinogradBatchSplit {
  WinogradBatchSplit(WinogradTile tile, Index n, Index in, Index h, Index w, int threads);
  Index first(Index chunk) const { return chunk * images / count; }
  Index images, count;
};

// What winograd_conv3x3 applies to each output value v[i, o, y, x], in order (each step when its
// pointer is set): v += bias[o]; v = scale[o]·v + shift[o]; v += residual[i, o, y, x];
// v = max(v, 0) when relu. The steps of Conv2d::Epilogue, done while the values are in registers.
struct WinogradEpilogue {
  const float* bias = nullptr;      // out_channels values
  const float* scale = nullptr;     // out_channels values; requires shift
  const float* shift = nullptr;     // out_channels values
  const float* residual = nullptr;  // count × out_channels × h × w values, NCHW
  bool relu = false;
  // Write the output past the caches (non-temporal stores; the same values): for outputs far
  // larger than the caches (winograd_streams_output), read first after the call.
  bool streaming = false;
};

// Whether an output of `floats` floats is better written with WinogradEpilogue::streaming: above
// about twice a core's L2, where the lines a cached store reads in first cost more than the next
// layer's reads from memory: +5-8% a training step of resnet32-pcm, whose first two stages' 3×3
// layers write 8 and 3.7 MB at batch 128 (streaming its third stage's 1.8 MB too: +0.7%, noise).
inline constexpr Index kWinogradStreamingFloats = Index{1} << 19;  // 2 MB
constexpr bool winograd_streams_output(Index floats) { return floats >= kWinogradStreamingFloats; }

// output[i, o, y, x] = Σ_{c, ky, kx} g[o, c, ky, kx] · input[i, c, y + ky − 1, x + kx − 1],
// then the epilogue, for `count` consecutive NCHW images of weights.in_channels × h × w at
// `input`; writes count × out_channels × h × w floats to `output`.
// Requires: count, h, w ≥ 1; `output` does not overlap `input` (it may be `residual`).
// Threads: none inside; safe to call concurrently (thread-local scratch).
// Cost: 2·(m+2)²·in·out flops per tile plus O((m+2)³·(in + out)) per tile for the transforms;
//   scratch of about (h+2)·(w+2)·count·in + 2¹⁶ + m·w·out floats per thread.
void winograd_conv3x3(const WinogradWeights& weights,
                      const float* input,
                      Index count,
                      Index h,
                      Index w,
                      float* output,
                      const WinogradEpilogue& epilogue = {});

}  // namespace pcmkit::nn
