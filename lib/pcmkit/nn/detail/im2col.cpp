#include "pcmkit/nn/detail/im2col.h"

#include "pcmkit/nn/detail/conv_buffers.h"

namespace pcmkit::nn::detail {
namespace {

// dst[x] = line[offset + x·S] for x in [x_lo, x_hi), zero elsewhere in [0, w_out): plain loops
// (rows are 8 to 32 wide, where fill/memcpy calls cost more than the copying), the stride a
// template argument so that the copy vectorises. (An offset, not a pointer before the row.)
template <Index S>
inline void strided_row(
    const float* line, Index offset, float* dst, Index x_lo, Index x_hi, Index w_out) {
  for (Index x = 0; x < x_lo; ++x) dst[x] = 0.0f;
  for (Index x = x_lo; x < x_hi; ++x) dst[x] = line[offset + x * S];
  for (Index x = x_hi; x < w_out; ++x) dst[x] = 0.0f;
}

}  // namespace

void im2col(const float* input, const ConvGeometry& g, Index first, Index count, float* cols) {
  const Index plane = g.plane(), columns = count * plane;
  for (Index c = 0; c < g.channels; ++c)
    for (Index ky = 0; ky < g.k; ++ky)
      for (Index kx = 0; kx < g.k; ++kx) {
        float* row = cols + ((c * g.k + ky) * g.k + kx) * columns;
        const Index x_lo = g.x_lo(kx), x_hi = g.x_hi(kx);
        for (Index b = 0; b < count; ++b) {
          const float* src = input + ((first + b) * g.channels + c) * g.h * g.w;
          if (g.same_shape()) {
            shifted_plane(src, row + b * plane, g.h, g.w, ky - g.p, kx - g.p);
            continue;
          }
          for (Index y = 0; y < g.h_out; ++y) {
            float* dst = row + b * plane + y * g.w_out;
            const Index iy = y * g.s - g.p + ky;
            if (iy < 0 || iy >= g.h) {
              for (Index x = 0; x < g.w_out; ++x) dst[x] = 0.0f;
              continue;
            }
            const float* line = src + iy * g.w;
            const Index offset = kx - g.p;  // column of x = 0 (may be negative)
            if (g.s == 1)
              strided_row<1>(line, offset, dst, x_lo, x_hi, g.w_out);
            else if (g.s == 2)
              strided_row<2>(line, offset, dst, x_lo, x_hi, g.w_out);
            else
              for (Index x = 0; x < g.w_out; ++x)
                dst[x] = x >= x_lo && x < x_hi ? line[offset + x * g.s] : 0.0f;
          }
        }
      }
}

void col2im_add(
    const float* cols, const ConvGeometry& g, Index first, Index count, float* grad_input) {
  const Index plane = g.plane(), columns = count * plane;
  for (Index c = 0; c < g.channels; ++c)
    for (Index ky = 0; ky < g.k; ++ky)
      for (Index kx = 0; kx < g.k; ++kx) {
        const float* row = cols + ((c * g.k + ky) * g.k + kx) * columns;
        const Index x_lo = g.x_lo(kx), x_hi = g.x_hi(kx);
        for (Index b = 0; b < count; ++b) {
          float* dst = grad_input + ((first + b) * g.channels + c) * g.h * g.w;
          for (Index y = 0; y < g.h_out; ++y) {
            const Index iy = y * g.s - g.p + ky;
            if (iy < 0 || iy >= g.h) continue;
            const float* src = row + b * plane + y * g.w_out;
            float* line = dst + iy * g.w;
            const Index offset = kx - g.p;  // column of x = 0 (may be negative)
            if (g.s == 1) {
              for (Index x = x_lo; x < x_hi; ++x) line[offset + x] += src[x];
            } else if (g.s == 2) {
              for (Index x = x_lo; x < x_hi; ++x) line[offset + 2 * x] += src[x];
            } else {
              for (Index x = x_lo; x < x_hi; ++x) line[offset + x * g.s] += src[x];
            }
          }
        }
      }
}

}  // namespace pcmkit::nn::detail
