#include "pcmkit/nn/detail/im2col.h"

#include <algorithm>

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

// Stride 2: a plane's columns split once into its two phases, phase q holding columns 2j + q
// (phases[q·h·half + y·half + j], half = ⌈w/2⌉; an odd w leaves phase 1's last column zero).
// Input column 2x − p + kx is then phase (kx − p) mod 2 at j = x + ⌊(kx − p)/2⌋, so each of the
// k² rows of the image is one contiguous copy per output row instead of a stride-2 gather
// (which compiles to scalar moves). Used from k = 3, where each phase serves several kx (a 1×1
// kernel reads a quarter of the plane, which the split would copy whole).
struct ColumnPhases {
  Index half, shift[2];  // shift[q]: the phase plane's offset
  explicit ColumnPhases(const ConvGeometry& g) : half((g.w + 1) / 2), shift{0, g.h * half} {}
  Index size(const ConvGeometry& g) const { return 2 * g.h * half; }
  // Where column x = 0 of kernel column kx reads: phase plane offset plus column (may be −1).
  Index origin(const ConvGeometry& g, Index kx) const {
    const Index offset = kx - g.p, q = offset & 1;  // two's complement: −1 & 1 = 1
    return shift[q] + (offset - q) / 2;
  }
};

void split_columns(const float* plane, const ConvGeometry& g, const ColumnPhases& f, float* out) {
  float* even = out + f.shift[0];
  float* odd = out + f.shift[1];
  for (Index y = 0; y < g.h; ++y) {
    const float* line = plane + y * g.w;
    for (Index j = 0; j < g.w / 2; ++j) {
      even[y * f.half + j] = line[2 * j];
      odd[y * f.half + j] = line[2 * j + 1];
    }
    if (g.w % 2 != 0) {
      even[y * f.half + f.half - 1] = line[g.w - 1];
      odd[y * f.half + f.half - 1] = 0.0f;
    }
  }
}

void merge_columns(const float* phases,
                   const ConvGeometry& g,
                   const ColumnPhases& f,
                   float* plane) {
  const float* even = phases + f.shift[0];
  const float* odd = phases + f.shift[1];
  for (Index y = 0; y < g.h; ++y) {
    float* line = plane + y * g.w;
    for (Index j = 0; j < g.w / 2; ++j) {
      line[2 * j] = even[y * f.half + j];
      line[2 * j + 1] = odd[y * f.half + j];
    }
    if (g.w % 2 != 0) line[g.w - 1] = even[y * f.half + f.half - 1];
  }
}

void im2col_stride2(
    const float* input, const ConvGeometry& g, Index first, Index count, float* cols) {
  static thread_local Eigen::VectorXf buffer;
  const ColumnPhases f(g);
  float* phases = scratch(buffer, f.size(g));
  const Index plane = g.plane(), columns = count * plane;
  for (Index c = 0; c < g.channels; ++c)
    for (Index b = 0; b < count; ++b) {
      split_columns(input + ((first + b) * g.channels + c) * g.h * g.w, g, f, phases);
      for (Index ky = 0; ky < g.k; ++ky)
        for (Index kx = 0; kx < g.k; ++kx) {
          float* row = cols + ((c * g.k + ky) * g.k + kx) * columns + b * plane;
          const Index x_lo = g.x_lo(kx), x_hi = g.x_hi(kx), origin = f.origin(g, kx);
          for (Index y = 0; y < g.h_out; ++y) {
            float* dst = row + y * g.w_out;
            const Index iy = 2 * y - g.p + ky;
            if (iy < 0 || iy >= g.h)
              std::fill(dst, dst + g.w_out, 0.0f);
            else
              strided_row<1>(phases + iy * f.half, origin, dst, x_lo, x_hi, g.w_out);
          }
        }
    }
}

void col2im_stride2(
    const float* cols, const ConvGeometry& g, Index first, Index count, float* grad_input) {
  static thread_local Eigen::VectorXf buffer;
  const ColumnPhases f(g);
  float* phases = scratch(buffer, f.size(g));
  const Index plane = g.plane(), columns = count * plane;
  for (Index c = 0; c < g.channels; ++c)
    for (Index b = 0; b < count; ++b) {
      std::fill(phases, phases + f.size(g), 0.0f);
      for (Index ky = 0; ky < g.k; ++ky)
        for (Index kx = 0; kx < g.k; ++kx) {
          const float* row = cols + ((c * g.k + ky) * g.k + kx) * columns + b * plane;
          const Index x_lo = g.x_lo(kx), x_hi = g.x_hi(kx), origin = f.origin(g, kx);
          for (Index y = 0; y < g.h_out; ++y) {
            const Index iy = 2 * y - g.p + ky;
            if (iy < 0 || iy >= g.h) continue;
            const float* src = row + y * g.w_out;
            float* line = phases + iy * f.half;  // indexed from origin (an offset, may be −1)
            for (Index x = x_lo; x < x_hi; ++x) line[origin + x] += src[x];
          }
        }
      merge_columns(phases, g, f, grad_input + ((first + b) * g.channels + c) * g.h * g.w);
    }
}

}  // namespace

void im2col(const float* input, const ConvGeometry& g, Index first, Index count, float* cols) {
  if (g.s == 2 && g.k >= 3) return im2col_stride2(input, g, first, count, cols);
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

void col2im(const float* cols, const ConvGeometry& g, Index first, Index count, float* grad_input) {
  if (g.s == 2 && g.k >= 3) return col2im_stride2(cols, g, first, count, grad_input);
  const Index image = g.channels * g.h * g.w;
  std::fill(grad_input + first * image, grad_input + (first + count) * image, 0.0f);
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
