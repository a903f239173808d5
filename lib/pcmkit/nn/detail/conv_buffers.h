// Internal helpers shared by the convolution kernels (conv2d.cpp, conv2d_train.cpp, the Winograd
// files): thread-local scratch buffers and the shifted-plane copy of a "same" convolution's im2col.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstring>

namespace pcmkit::nn::detail {

// The buffer's data, grown to at least `size` floats (never shrunk: reused call after call).
inline float* scratch(Eigen::VectorXf& buffer, Eigen::Index size) {
  if (buffer.size() < size) buffer.resize(size);
  return buffer.data();
}

// One im2col row of one image when the output plane has the input's shape (stride 1,
// 2·padding = kernel − 1, e.g. every 3×3 "same" convolution of a ResNet): output (y, x) reads
// input (y + dy, x + dx), so with equal row pitches the valid part is ONE contiguous copy of the
// input shifted by dy·w + dx, instead of a short copy per row (which cost more in call overhead
// than in bytes on 8- and 16-wide planes). The copy wraps neighbouring rows' values into the
// dx border columns; those are then set to zero, as are the dy border rows.
inline void shifted_plane(const float* src,
                          float* dst,
                          Eigen::Index h,
                          Eigen::Index w,
                          Eigen::Index dy,
                          Eigen::Index dx) {
  using Eigen::Index;
  const Index y_lo = std::clamp<Index>(-dy, 0, h), y_hi = std::clamp<Index>(h - dy, y_lo, h);
  const Index x_lo = std::clamp<Index>(-dx, 0, w), x_hi = std::clamp<Index>(w - dx, x_lo, w);
  const bool empty = y_lo == y_hi || x_lo == x_hi;
  const Index first = empty ? 0 : y_lo * w + x_lo;      // first valid output index
  const Index end = empty ? 0 : (y_hi - 1) * w + x_hi;  // one past the last valid one
  std::fill(dst, dst + first, 0.0f);
  std::memcpy(dst + first, src + first + dy * w + dx, sizeof(float) * (end - first));
  std::fill(dst + end, dst + h * w, 0.0f);
  // Column by column: the border is 1-2 columns wide, and a short row-wise loop would become a
  // memset call per row.
  if (empty) return;
  const auto zero_column = [&](Index x) {
    for (Index y = y_lo; y < y_hi; ++y) dst[y * w + x] = 0.0f;
  };
  for (Index x = 0; x < x_lo; ++x) zero_column(x);
  for (Index x = x_hi; x < w; ++x) zero_column(x);
}

}  // namespace pcmkit::nn::detail
