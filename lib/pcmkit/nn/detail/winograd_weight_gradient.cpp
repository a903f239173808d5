#include "pcmkit/nn/detail/winograd_weight_gradient.h"

#include <algorithm>

#include "pcmkit/core/error.h"
#include "pcmkit/nn/detail/conv_buffers.h"
#include "pcmkit/nn/detail/winograd_transforms.h"

namespace pcmkit::nn {
namespace {

using detail::scratch;

using namespace winograd_detail;

// Rows (image, tile) per block, as in winograd_conv3x3.cpp: the block's V and Ẽ stay in L2.
constexpr Index kBlockFloats = Index{1} << 16;

// dU_ξ (layout [ξ][in][whole_lanes(out)]) = Σ over the chunk's tiles of V_ξᵀ · Ẽ_ξ, overwritten;
// the columns from `out` on are scratch values. `padded` and `grad` are the chunk's input and
// dL/dy as padded_copy.
template <int m>
void transformed_gradient(const float* padded,
                          const float* grad,
                          Index count,
                          Index in,
                          Index out,
                          Index h,
                          Index w,
                          float* du) {
  constexpr int a = m + 2;
  // Rows of whole vectors of channels, as in winograd_conv3x3.cpp; the lanes past `in` are
  // never read, those past `out` only reach dU's scratch columns.
  const Index in_lanes = whole_lanes(in), out_lanes = whole_lanes(out);
  const PaddedFrame frame(m, h, w);
  const Index tiles_y = frame.tiles_y, tiles_x = frame.tiles_x, padded_w = frame.padded_w;
  const Index planes_in = count * in, planes_out = count * out;
  static thread_local Eigen::VectorXf v_buffer, e_buffer;
  // The gradient is in the input's frame: its tile (ty, tx) starts at (ty·m + 1, tx·m + 1), and
  // the zero border covers the outputs beyond the image.

  const Index strips = count * tiles_y;
  const Index strips_per_block =
      std::clamp<Index>(kBlockFloats / (a * a * tiles_x * (in_lanes + out_lanes)), 1, strips);
  const Index most_rows = strips_per_block * tiles_x;
  float* v = scratch(v_buffer, a * a * most_rows * in_lanes);
  float* e = scratch(e_buffer, a * a * most_rows * out_lanes);
  const Index in_row = padded_w * planes_in, out_row = padded_w * planes_out;

  for (Index s0 = 0; s0 < strips; s0 += strips_per_block) {
    const Index block_strips = std::min(strips_per_block, strips - s0);
    const Index rows = block_strips * tiles_x;
    for (Index sl = 0; sl < block_strips; ++sl) {
      const Index image = (s0 + sl) / tiles_y, ty = (s0 + sl) % tiles_y;
      for (Index tx = 0; tx < tiles_x; ++tx) {
        const Index r = sl * tiles_x + tx;
        const float* tile = padded + (ty * m * padded_w + tx * m) * planes_in + image * in;
        for (Index c = 0; c < in_lanes; c += kVecLanes)
          input_tile<m, Vec>(tile + c, in_row, planes_in, v + r * in_lanes + c, rows * in_lanes);
        const float* g_tile =
            grad + ((ty * m + 1) * padded_w + tx * m + 1) * planes_out + image * out;
        for (Index q = 0; q < out_lanes; q += kVecLanes)
          gradient_tile<m, Vec>(g_tile + q, out_row, planes_out, e + r * out_lanes + q,
                                rows * out_lanes);
      }
    }
    // dU_ξ [in × out_lanes] (+)= V_ξᵀ · Ẽ_ξ, the rows in block order.
    for (Index xi = 0; xi < a * a; ++xi)
      small_gemm(v + xi * rows * in_lanes, 1, in_lanes, e + xi * rows * out_lanes, out_lanes,
                 du + xi * in * out_lanes, out_lanes, in, rows, out_lanes, s0 > 0);
  }
}

}  // namespace

Index winograd_weight_gradient_images_per_chunk(
    WinogradTile tile, Index n, Index in, Index out, Index h, Index w) {
  const Index m = static_cast<Index>(tile);
  const Index padded = (in + out) * (((h + m - 1) / m) * m + 2) * (((w + m - 1) / m) * m + 2);
  const Index most = std::max<Index>(1, kWinogradFloatsPerChunk / padded);
  const Index chunks = std::max<Index>(1, (n + most - 1) / most);
  return std::max<Index>(1, (n + chunks - 1) / chunks);
}

RowMatrixXf winograd_weight_gradient(WinogradTile tile,
                                     const float* input,
                                     const float* grad_output,
                                     Index n,
                                     Index in,
                                     Index out,
                                     Index h,
                                     Index w,
                                     const WinogradWeights* flipped,
                                     float* grad_input) {
  PCMKIT_CHECK(n >= 1 && in >= 1 && out >= 1 && h >= 1 && w >= 1,
               "winograd_weight_gradient: empty shape");
  PCMKIT_CHECK((flipped == nullptr) == (grad_input == nullptr) &&
                   (!flipped || (flipped->tile == tile && flipped->in_channels == out &&
                                 flipped->out_channels == in)),
               "winograd_weight_gradient: flipped kernel of another shape or tile");
  const Index m = static_cast<Index>(tile), a = m + 2, out_lanes = whole_lanes(out);
  const Index size = a * a * in * out_lanes;
  const Index per_chunk = winograd_weight_gradient_images_per_chunk(tile, n, in, out, h, w);
  const Index chunks = (n + per_chunk - 1) / per_chunk;
  Eigen::VectorXf partial(chunks * size);
#pragma omp parallel for schedule(dynamic, 1)
  for (Index chunk = 0; chunk < chunks; ++chunk) {
    const Index first = chunk * per_chunk, count = std::min(per_chunk, n - first);
    const float* x = input + first * in * h * w;
    const float* dy = grad_output + first * out * h * w;
    float* du = partial.data() + chunk * size;
    static thread_local Eigen::VectorXf input_buffer, grad_buffer;
    const float* padded = padded_copy(input_buffer, static_cast<int>(m), x, count * in, h, w);
    const float* grad = padded_copy(grad_buffer, static_cast<int>(m), dy, count * out, h, w);
    if (tile == WinogradTile::k2x2)
      transformed_gradient<2>(padded, grad, count, in, out, h, w, du);
    else
      transformed_gradient<4>(padded, grad, count, in, out, h, w, du);
    if (flipped)  // dx from the same transposed gradient
      winograd_conv3x3_padded(*flipped, grad, count, h, w, grad_input + first * in * h * w,
                              {.streaming = winograd_streams_output(n * in * h * w)});
  }
  // Chunks summed in chunk order, then dg = Gᵀ dU G per (o, c) in double.
  // (Each value summed over the chunks in chunk order, whichever thread does it.)
  float* total = partial.data();
  constexpr Index kBlock = 4096;
#pragma omp parallel for schedule(static)
  for (Index k0 = 0; k0 < size; k0 += kBlock) {
    const Index k1 = std::min(size, k0 + kBlock);
    for (Index chunk = 1; chunk < chunks; ++chunk)
      for (Index k = k0; k < k1; ++k) total[k] += partial[chunk * size + k];
  }
  RowMatrixXf dw(out, in * 9);
  const auto inverse = [&]<int mm>() {
    constexpr int aa = mm + 2;
#pragma omp parallel for schedule(static)
    for (Index c = 0; c < in; ++c)
      for (Index o = 0; o < out; ++o) {
        double du[aa][aa], half[3][aa];
        for (int xi = 0; xi < aa * aa; ++xi)
          du[xi / aa][xi % aa] = total[(xi * in + c) * out_lanes + o];
        for (int q = 0; q < aa; ++q) {  // Gᵀ dU, column by column
          double column[aa], dg[3];
          for (int p = 0; p < aa; ++p) column[p] = du[p][q];
          Transforms<mm>::kernel_adjoint(column, dg);
          for (int i = 0; i < 3; ++i) half[i][q] = dg[i];
        }
        for (int i = 0; i < 3; ++i) {  // (Gᵀ dU) G, row by row
          double dg[3];
          Transforms<mm>::kernel_adjoint(half[i], dg);
          for (int j = 0; j < 3; ++j) dw(o, c * 9 + i * 3 + j) = static_cast<float>(dg[j]);
        }
      }
  };
  if (tile == WinogradTile::k2x2)
    inverse.template operator()<2>();
  else
    inverse.template operator()<4>();
  return dw;
}

}  // namespace pcmkit::nn
