// The weight gradient of a 3×3 stride-1 pad-1 convolution by Winograd's F(m×m, 3×3), the
// adjoint of winograd_conv3x3.h's forward pass (Lavin & Gray 2016, section 4; the same
// matrices). With E the m × m tile of dL/dy of output channel o (zero beyond the image) and
// V_c = Bᵀ d_c B the transformed input tile of channel c:
//   dL/dg_{o,c} = Gᵀ [ Σ_tiles (A E Aᵀ) ⊙ V_c ] G,
// the sum over tiles being, for each of the (m+2)² tile elements ξ, one product
//   dU_ξ [in × out] = V_ξᵀ [in × (image, tile)] · Ẽ_ξ [(image, tile) × out].
// Exact in exact arithmetic (the result is Σ_{i,y,x} dL/dy[i,o,y,x] · x[i,c,y+ky−1,x+kx−1]);
// in fp32 the transforms add rounding error that grows with m: measured up to 2.2e-7 (m = 2) and
// 1.5e-6 (m = 4) of Σ|dy·x| per weight (tests/nn/winograd_weight_gradient_test.cpp). On the
// PyTorch training-step fixture (tests/nn/training_step_test.cpp) the largest difference stays
// at 1.3e-5 of each tensor's largest value (budget 1e-4).
// Optionally also dL/dx (the correlation of dL/dy with the flipped kernel, by winograd_conv3x3's
// algorithm) from the same transposed copy of dL/dy, see below.
// Not modelled: bias gradients (the plain sum of dL/dy, done by the caller).
#pragma once

#include <Eigen/Core>

#include "pcmkit/nn/tensor.h"
#include "pcmkit/nn/winograd_conv3x3.h"

namespace pcmkit::nn {

// Images per chunk of the weight gradient for a batch of n: the padded input and gradient of a
// chunk ((in + out)·(h+2)·(w+2) floats per image, rounded up to whole tiles) within about
// kWinogradFloatsPerChunk floats; equal chunks (±1 image), at least 1 image. Shapes only.
Index winograd_weight_gradient_images_per_chunk(
    WinogradTile tile, Index n, Index in, Index out, Index h, Index w);

// dW[o, c·9 + ky·3 + kx] = Σ_{i,y,x} grad_output[i,o,y,x] · input[i,c,y+ky−1,x+kx−1] (zeros
// outside the input), for n NCHW images: input n × in × h × w, grad_output n × out × h × w.
// Returns dW, out × in·9 (PyTorch's [out, in, 3, 3] flattened).
// Requires: n, in, out, h, w ≥ 1 (PCMKIT_CHECK).
// Threads: OpenMP over chunks of images (winograd_weight_gradient_images_per_chunk), then over
//   the values of the sum and over input channels for the inverse transform; each chunk's
//   transformed gradient is summed in chunk order, so the result does not depend on the thread
//   count.
// With `flipped` (the transformed kernel of the transposed convolution out → in with the flipped
// kernel, same tile) and `grad_input` (n × in × h × w floats), also writes dL/dx = that
// convolution of grad_output, chunk by chunk from the same transposed copy of grad_output (the
// copy is the larger part of a backward pass's memory traffic). Requires: both or neither, of
// matching shapes (PCMKIT_CHECK); grad_input overlaps neither input nor grad_output. Adds the
// flops and per-thread scratch of winograd_conv3x3 (in and out swapped).
// Cost: 2·(m+2)²·in·out flops per tile and image plus the tile transforms; (m+2)²·in·out floats
//   per chunk of partial sums, and per thread the scratch of winograd_conv3x3.
RowMatrixXf winograd_weight_gradient(WinogradTile tile,
                                     const float* input,
                                     const float* grad_output,
                                     Index n,
                                     Index in,
                                     Index out,
                                     Index h,
                                     Index w,
                                     const WinogradWeights* flipped = nullptr,
                                     float* grad_input = nullptr);

}  // namespace pcmkit::nn
