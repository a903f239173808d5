// The out-of-line kernels of winograd_transforms.h. small_gemm keeps R rows × V of the unit's
// vectors (Vec) of C in registers, one pass over the depth with a broadcast of A and a load of B
// per step: Eigen's general product repacks both operands on every call, which costs as much as
// the arithmetic for the 36 products of [tiles × 16..64]·[16..64 × 16..64] per Winograd block.
#include <algorithm>
#include <cmath>
#include <utility>

#include "pcmkit/nn/detail/conv_buffers.h"
#include "pcmkit/nn/detail/winograd_transforms.h"

namespace pcmkit::nn::winograd_detail {
namespace {

// A's strides as compile-time values where they are known (S > 0: a_stride = S, and then
// a_depth_stride = 1 if S > 1): the R row addresses become one register plus constant offsets.
// With runtime strides, R = 16 row pointers outgrow the general registers and spill, one reload
// per multiply-add.
template <Index S>
struct AStrides {
  Index row, depth;
  [[gnu::always_inline]] Index at(Index r, Index k) const {
    if constexpr (S == 1) return r + k * depth;
    if constexpr (S > 1) return r * S + k;
    return r * row + k * depth;
  }
};

template <int R, int V, Index S>
[[gnu::always_inline]] inline void block(const float* a,
                                         AStrides<S> strides,
                                         const float* b,
                                         Index b_stride,
                                         float* c,
                                         Index c_stride,
                                         Index depth,
                                         bool accumulate) {
  Vec acc[R][V];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v)
      acc[r][v] = accumulate ? load<Vec>(c + r * c_stride + v * kVecLanes) : Vec{};
  for (Index k = 0; k < depth; ++k) {
    Vec bk[V];
    for (int v = 0; v < V; ++v) bk[v] = load<Vec>(b + k * b_stride + v * kVecLanes);
    for (int r = 0; r < R; ++r) {
      const Vec ar = broadcast(a[strides.at(r, k)]);
      for (int v = 0; v < V; ++v) acc[r][v] = fused_multiply_add(ar, bk[v], acc[r][v]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) store<Vec>(c + r * c_stride + v * kVecLanes, acc[r][v]);
}

// Rows in blocks of R, then the remaining rows (fewer than R) in one block of their count.
template <int R, int V, Index S>
void column_block(const float* a,
                  AStrides<S> strides,
                  const float* b,
                  Index b_stride,
                  float* c,
                  Index c_stride,
                  Index rows,
                  Index depth,
                  bool accumulate) {
  Index r = 0;
  for (; r + R <= rows; r += R)
    block<R, V>(a + strides.at(r, 0), strides, b, b_stride, c + r * c_stride, c_stride, depth,
                accumulate);
  const Index rest = rows - r;
  if (rest == 0) return;
  a += strides.at(r, 0);
  c += r * c_stride;
  [&]<int... Q>(std::integer_sequence<int, Q...>) {
    ((rest == Q + 1 ? block<Q + 1, V>(a, strides, b, b_stride, c, c_stride, depth, accumulate)
                    : void()),
     ...);
  }
  (std::make_integer_sequence<int, R - 1>{});
}

// The vector columns of small_gemm with A's strides of type AStrides<S>.
template <Index S>
Index vector_columns(const float* a,
                     AStrides<S> strides,
                     const float* b,
                     Index b_stride,
                     float* c,
                     Index c_stride,
                     Index rows,
                     Index depth,
                     Index cols,
                     bool accumulate) {
  Index col = 0;
#if defined(__AVX512F__)
  // 4 vectors × 6 rows (or 3 × 8, 2 × 12, 1 × 16): up to 24 accumulators of the 32 registers.
  for (; col + 4 * kLanes <= cols; col += 4 * kLanes)
    column_block<6, 4>(a, strides, b + col, b_stride, c + col, c_stride, rows, depth, accumulate);
  if (cols - col >= 3 * kLanes) {
    column_block<8, 3>(a, strides, b + col, b_stride, c + col, c_stride, rows, depth, accumulate);
    col += 3 * kLanes;
  } else if (cols - col >= 2 * kLanes) {
    column_block<12, 2>(a, strides, b + col, b_stride, c + col, c_stride, rows, depth, accumulate);
    col += 2 * kLanes;
  } else if (cols - col >= kLanes) {
    column_block<16, 1>(a, strides, b + col, b_stride, c + col, c_stride, rows, depth, accumulate);
    col += kLanes;
  }
#else
  // 16 registers of 8 (AVX) or 4 lanes: 16 columns as 2 or 4 vectors, with as many rows as
  // leave room for B's row and a broadcast (6 × 2 + 2 + 1 or 2 × 4 + 4 + 1).
  constexpr int kVectors = kLanes / kVecLanes, kRows = kVectors == 2 ? 6 : 2;
  for (; col + kLanes <= cols; col += kLanes)
    column_block<kRows, kVectors>(a, strides, b + col, b_stride, c + col, c_stride, rows, depth,
                                  accumulate);
#endif
  return col;
}

}  // namespace

void small_gemm(const float* a,
                Index a_stride,
                Index a_depth_stride,
                const float* b,
                Index b_stride,
                float* c,
                Index c_stride,
                Index rows,
                Index depth,
                Index cols,
                bool accumulate) {
  // The strides the Winograd products use (V row-major with 16, 32 or 64 lanes, or Vᵀ) as
  // constants; any other through the general kernel.
  const auto columns = [&]<Index S>(AStrides<S> strides) {
    return vector_columns(a, strides, b, b_stride, c, c_stride, rows, depth, cols, accumulate);
  };
  Index col;
  if (a_stride == 1)
    col = columns(AStrides<1>{1, a_depth_stride});
  else if (a_depth_stride == 1 && a_stride == 16)
    col = columns(AStrides<16>{16, 1});
  else if (a_depth_stride == 1 && a_stride == 32)
    col = columns(AStrides<32>{32, 1});
  else if (a_depth_stride == 1 && a_stride == 64)
    col = columns(AStrides<64>{64, 1});
  else
    col = columns(AStrides<0>{a_stride, a_depth_stride});
  for (; col < cols; ++col)
    for (Index r = 0; r < rows; ++r) {
      float sum = accumulate ? c[r * c_stride + col] : 0.0f;
      for (Index k = 0; k < depth; ++k)
        sum = std::fma(a[r * a_stride + k * a_depth_stride], b[k * b_stride + col], sum);
      c[r * c_stride + col] = sum;
    }
}

void pad_transpose(const float* input,
                   Index planes,
                   Index h,
                   Index w,
                   Index padded_h,
                   Index padded_w,
                   float* padded) {
  for (Index y = 0; y < padded_h; ++y) {
    float* row = padded + y * padded_w * planes;
    if (y == 0 || y > h) {
      std::fill(row, row + padded_w * planes, 0.0f);
      continue;
    }
    std::fill(row, row + planes, 0.0f);
    std::fill(row + (w + 1) * planes, row + padded_w * planes, 0.0f);
  }
  // Interior: 16 planes × 16 pixels at a time through registers; scalar for the remainders.
  const Index plane = h * w;
  const auto padded_at = [&](Index pixel) {
    return padded + ((pixel / w + 1) * padded_w + pixel % w + 1) * planes;
  };
  const Index plane_blocks = plane - plane % kLanes, plane_lanes = planes - planes % kLanes;
  for (Index p0 = 0; p0 < plane_lanes; p0 += kLanes) {
    const float* source = input + p0 * plane;
    Index y = 0, x = 0;  // of pixel0, stepped instead of divided (two divisions per pixel cost
                         // as much as the transpose)
    for (Index pixel0 = 0; pixel0 < plane_blocks; pixel0 += kLanes) {
      const Transpose16 block(source + pixel0, plane);
      float* destination = padded + ((y + 1) * padded_w + x + 1) * planes + p0;
      for (Index k = 0; k < kLanes; ++k) {
        for (Index p = 0; p < kLanes / kVecLanes; ++p)
          store<Vec>(destination + p * kVecLanes, block.piece(k, p));
        destination += planes;
        if (++x == w) {
          x = 0;
          ++y;
          destination += (padded_w - w) * planes;
        }
      }
    }
    for (Index pixel = plane_blocks; pixel < plane; ++pixel)
      for (Index k = 0; k < kLanes; ++k) padded_at(pixel)[p0 + k] = input[(p0 + k) * plane + pixel];
  }
  for (Index p = plane_lanes; p < planes; ++p)
    for (Index pixel = 0; pixel < plane; ++pixel) padded_at(pixel)[p] = input[p * plane + pixel];
}

float* padded_copy(
    Eigen::VectorXf& buffer, int m, const float* input, Index planes, Index h, Index w) {
  const PaddedFrame frame(m, h, w);
  const Index size = frame.padded_h * frame.padded_w * planes;
  float* padded = detail::scratch(buffer, size + kLanes);
  pad_transpose(input, planes, h, w, frame.padded_h, frame.padded_w, padded);
  std::fill(padded + size, padded + size + kLanes, 0.0f);
  return padded;
}

}  // namespace pcmkit::nn::winograd_detail
