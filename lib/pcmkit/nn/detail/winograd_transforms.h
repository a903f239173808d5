// Internal to lib/pcmkit/nn (not installed API): the pieces shared by the Winograd convolution
// (winograd_conv3x3.cpp) and its weight gradient (winograd_weight_gradient.cpp): 16-float values
// and the unit's own vectors, an in-register 16 × 16 transpose, the one-dimensional transforms Bᵀ,
// Aᵀ, G of F(2, 3) and F(4, 3) (equations in winograd_conv3x3.h) and their tile-sized applications,
// and a register-blocked product for the batched GEMMs of small channel counts.
#pragma once

#if defined(__AVX512F__) || defined(__AVX__)
#include <immintrin.h>
#endif

#include <cstdint>
#include <type_traits>
#include <utility>

#include "pcmkit/nn/tensor.h"
#include "pcmkit/nn/winograd_conv3x3.h"

namespace pcmkit::nn::winograd_detail {

// 16 floats handled as one value (one AVX-512 register). The channel-last layouts make every
// tile transform the same arithmetic on 16 neighbouring channels; channel counts are padded to
// whole vectors of 16 (whole_lanes), whatever the unit.
inline constexpr Index kLanes = 16;
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float)), aligned(4), may_alias));

// The unit's own vector of floats, in which the kernels compute: 16 lanes with AVX-512, 8 with
// AVX, 4 otherwise. Without a register that wide, GCC keeps a 16-float value in memory and
// moves it in pieces, ~5x slower in the products and transforms.
#if defined(__AVX512F__)
inline constexpr Index kVecLanes = 16;
#elif defined(__AVX__)
inline constexpr Index kVecLanes = 8;
#else
inline constexpr Index kVecLanes = 4;
#endif
typedef float Vec __attribute__((vector_size(kVecLanes * sizeof(float)), aligned(4), may_alias));
static_assert(kLanes % kVecLanes == 0);

// 8 doubles as one value, for the kernel transform vectorised over output channels.
inline constexpr Index kDoubleLanes = 8;
typedef double DoubleLanes __attribute__((vector_size(kDoubleLanes * sizeof(double))));

// n rounded up to whole vectors.
constexpr Index whole_lanes(Index n) { return (n + kLanes - 1) / kLanes * kLanes; }

// T: float, Vec or Lanes. The pointer casts name Vec and Lanes themselves: as a template
// argument, a vector type loses its aligned(4) and would be assumed aligned to its size.
template <class T>
[[gnu::always_inline]] inline T load(const float* p) {
  if constexpr (std::is_same_v<T, float>)
    return *p;
  else if constexpr (sizeof(T) == sizeof(Lanes))
    return *reinterpret_cast<const Lanes*>(p);
  else
    return *reinterpret_cast<const Vec*>(p);
}
template <class T>
[[gnu::always_inline]] inline void store(float* p, T v) {
  if constexpr (std::is_same_v<T, float>)
    *p = v;
  else if constexpr (sizeof(T) == sizeof(Lanes))
    *reinterpret_cast<Lanes*>(p) = v;
  else
    *reinterpret_cast<Vec*>(p) = v;
}
// store() past the caches (a non-temporal store) where p is aligned to the vector, else store():
// for outputs far larger than the caches, whose lines would otherwise be read in only to be
// overwritten. The caller ends its writes with stream_fence() before another thread reads them.
template <class T>
[[gnu::always_inline]] inline void stream(float* p, T v) {
#if defined(__AVX512F__)
  if constexpr (sizeof(T) == 64) {
    if ((reinterpret_cast<std::uintptr_t>(p) & 63) == 0)
      return _mm512_stream_ps(p, reinterpret_cast<__m512>(v));
  }
#endif
#if defined(__AVX__)
  if constexpr (sizeof(T) == 32) {
    if ((reinterpret_cast<std::uintptr_t>(p) & 31) == 0)
      return _mm256_stream_ps(p, reinterpret_cast<__m256>(v));
  }
#endif
  store<T>(p, v);
}
// Orders this thread's stream() stores before its later stores (and a barrier's release).
inline void stream_fence() {
#if defined(__AVX__)
  _mm_sfence();
#endif
}
// (A per-lane assignment loop compiles to 16 masked broadcasts.)
[[gnu::always_inline]] inline Vec broadcast(float s) {
  return [s]<std::size_t... I>(std::index_sequence<I...>) { return Vec{((void)I, s)...}; }
  (std::make_index_sequence<kVecLanes>{});
}
// a·b + c, fused (one rounding) where the unit has FMA, else two roundings.
[[gnu::always_inline]] inline Vec fused_multiply_add(Vec a, Vec b, Vec c) {
#if defined(__AVX512F__)
  return reinterpret_cast<Vec>(_mm512_fmadd_ps(
      reinterpret_cast<__m512>(a), reinterpret_cast<__m512>(b), reinterpret_cast<__m512>(c)));
#elif defined(__AVX__) && defined(__FMA__)
  return reinterpret_cast<Vec>(_mm256_fmadd_ps(
      reinterpret_cast<__m256>(a), reinterpret_cast<__m256>(b), reinterpret_cast<__m256>(c)));
#else
  return a * b + c;
#endif
}

// Transposes 16 vectors in place (rows[k][l] ↔ rows[l][k]) in four stages; stage b swaps the
// off-diagonal b × b blocks of every 2b × 2b block (one two-source permute per row).
typedef int LaneIndex __attribute__((vector_size(kLanes * sizeof(int))));
template <int b>
inline LaneIndex low_lanes() {
  LaneIndex r{};
  for (int l = 0; l < kLanes; ++l) r[l] = (l & b) ? kLanes + l - b : l;
  return r;
}
template <int b>
inline LaneIndex high_lanes() {
  LaneIndex r{};
  for (int l = 0; l < kLanes; ++l) r[l] = (l & b) ? kLanes + l : l + b;
  return r;
}
template <int b>
[[gnu::always_inline]] inline void transpose_stage(Lanes rows[kLanes]) {
  const LaneIndex low = low_lanes<b>(), high = high_lanes<b>();
  for (int i = 0; i < kLanes; ++i) {
    if (i & b) continue;
    const Lanes a = rows[i], c = rows[i + b];
#if defined(__clang__)  // no two-source permute by a mask vector: lane by lane (the fuzz build)
    Lanes lo, hi;
    for (int l = 0; l < kLanes; ++l) {
      lo[l] = low[l] < kLanes ? a[low[l]] : c[low[l] - kLanes];
      hi[l] = high[l] < kLanes ? a[high[l]] : c[high[l] - kLanes];
    }
    rows[i] = lo;
    rows[i + b] = hi;
#else
    rows[i] = __builtin_shuffle(a, c, low);
    rows[i + b] = __builtin_shuffle(a, c, high);
#endif
  }
}
#if defined(__AVX__) && !defined(__AVX512F__)
// An 8 × 8 transpose in AVX registers. (Without AVX-512, GCC lowers the 16-lane two-source
// permutes of transpose_stage to one scalar move per lane, ~1,000 per 16 × 16 transpose.)
[[gnu::always_inline]] inline void transpose8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}
#endif

// The 16 × 16 transpose of 16 vectors of 16 floats (vector k at rows + k·stride), held in the
// unit's registers: piece(j, p) is the p-th vector of the transpose's row j (column j of the
// input), piece(j, p)[l] = rows[(p·kVecLanes + l)·stride + j].
class Transpose16 {
 public:
  [[gnu::always_inline]] Transpose16(const float* rows, Index stride) {
#if defined(__AVX__) && !defined(__AVX512F__)
    // Quadrants q[0] = rows 0-7, lanes 0-7; q[1] = rows 0-7, lanes 8-15; q[2], q[3] rows 8-15.
    for (int k = 0; k < 8; ++k) {
      q_[0][k] = _mm256_loadu_ps(rows + k * stride);
      q_[1][k] = _mm256_loadu_ps(rows + k * stride + 8);
      q_[2][k] = _mm256_loadu_ps(rows + (k + 8) * stride);
      q_[3][k] = _mm256_loadu_ps(rows + (k + 8) * stride + 8);
    }
    for (auto& quadrant : q_) transpose8(quadrant);
#else
    for (Index k = 0; k < kLanes; ++k) rows_[k] = load<Lanes>(rows + k * stride);
    transpose_stage<8>(rows_);
    transpose_stage<4>(rows_);
    transpose_stage<2>(rows_);
    transpose_stage<1>(rows_);
#endif
  }
  [[gnu::always_inline]] Vec piece(Index j, Index p) const {
#if defined(__AVX__) && !defined(__AVX512F__)
    // Row j < 8 of the transpose is (q0ᵀ row j, q2ᵀ row j); row j + 8 is (q1ᵀ row j, q3ᵀ row j).
    return reinterpret_cast<Vec>(q_[(j >= 8) + 2 * p][j % 8]);
#else
    return load<Vec>(reinterpret_cast<const float*>(&rows_[j]) + p * kVecLanes);
#endif
  }

 private:
#if defined(__AVX__) && !defined(__AVX512F__)
  __m256 q_[4][8];
#else
  Lanes rows_[kLanes];
#endif
};

// The one-dimensional transforms: v = Bᵀ d, y = Aᵀ s, u = G g (winograd_conv3x3.h), for tile
// size a = m + 2, and the transposed ones the weight gradient needs: s = A e (the adjoint of the
// output transform) and the adjoint of G, dg = Gᵀ du.
template <int m>
struct Transforms;

template <>
struct Transforms<2> {
  template <class T>
  static void input(const T d[4], T v[4]) {
    v[0] = d[0] - d[2];
    v[1] = d[1] + d[2];
    v[2] = d[2] - d[1];
    v[3] = d[1] - d[3];
  }
  template <class T>
  static void output(const T s[4], T y[2]) {
    y[0] = s[0] + s[1] + s[2];
    y[1] = s[1] - s[2] - s[3];
  }
  template <class T>
  static void output_adjoint(const T e[2], T s[4]) {
    s[0] = e[0];
    s[1] = e[0] + e[1];
    s[2] = e[0] - e[1];
    s[3] = -e[1];
  }
  template <class T>  // double, or DoubleLanes (the same operations lane by lane)
  static void kernel(const T g[3], T u[4]) {
    u[0] = g[0];
    u[1] = 0.5 * (g[0] + g[1] + g[2]);
    u[2] = 0.5 * (g[0] - g[1] + g[2]);
    u[3] = g[2];
  }
  static void kernel_adjoint(const double du[4], double dg[3]) {
    dg[0] = du[0] + 0.5 * (du[1] + du[2]);
    dg[1] = 0.5 * (du[1] - du[2]);
    dg[2] = 0.5 * (du[1] + du[2]) + du[3];
  }
};

template <>
struct Transforms<4> {
  template <class T>
  static void input(const T d[6], T v[6]) {
    const T d13 = d[1] + d[2], e13 = d[1] - d[2], d42 = d[4] - d[2], d31 = d[3] - d[1];
    v[0] = 4.0f * d[0] - 5.0f * d[2] + d[4];
    v[1] = (d[3] + d[4]) - 4.0f * d13;
    v[2] = (d[4] - d[3]) + 4.0f * e13;
    v[3] = d42 + 2.0f * d31;
    v[4] = d42 - 2.0f * d31;
    v[5] = 4.0f * d[1] - 5.0f * d[3] + d[5];
  }
  template <class T>
  static void output(const T s[6], T y[4]) {
    const T p12 = s[1] + s[2], m12 = s[1] - s[2], p34 = s[3] + s[4], m34 = s[3] - s[4];
    y[0] = s[0] + p12 + p34;
    y[1] = m12 + 2.0f * m34;
    y[2] = p12 + 4.0f * p34;
    y[3] = m12 + 8.0f * m34 + s[5];
  }
  // s = A e with Aᵀ the matrix of output(): s_k = Σ_i Aᵀ[i][k] e_i.
  template <class T>
  static void output_adjoint(const T e[4], T s[6]) {
    const T even = e[0] + e[2], odd_1 = e[1] + e[3], odd_2 = 2.0f * e[1] + 8.0f * e[3];
    const T even_4 = e[0] + 4.0f * e[2];
    s[0] = e[0];
    s[1] = even + odd_1;
    s[2] = even - odd_1;
    s[3] = even_4 + odd_2;
    s[4] = even_4 - odd_2;
    s[5] = e[3];
  }
  template <class T>  // double, or DoubleLanes (the same operations lane by lane)
  static void kernel(const T g[3], T u[6]) {
    u[0] = g[0] / 4;
    u[1] = -(g[0] + g[1] + g[2]) / 6;
    u[2] = -(g[0] - g[1] + g[2]) / 6;
    u[3] = g[0] / 24 + g[1] / 12 + g[2] / 6;
    u[4] = g[0] / 24 - g[1] / 12 + g[2] / 6;
    u[5] = g[2];
  }
  static void kernel_adjoint(const double du[6], double dg[3]) {
    dg[0] = du[0] / 4 - (du[1] + du[2]) / 6 + (du[3] + du[4]) / 24;
    dg[1] = -(du[1] - du[2]) / 6 + (du[3] - du[4]) / 12;
    dg[2] = -(du[1] + du[2]) / 6 + (du[3] + du[4]) / 6 + du[5];
  }
};

// V[ξ] = Bᵀ d B for one tile and lanes of channels: d[i][j] at tile[i·row + j·column], V[ξ] at
// v[ξ·xi_stride].
template <int m, class T>
[[gnu::always_inline]] inline void input_tile(
    const float* tile, Index row, Index column, float* v, Index xi_stride) {
  constexpr int a = m + 2;
  T t[a][a];
  for (int i = 0; i < a; ++i) {
    T d[a];
    for (int j = 0; j < a; ++j) d[j] = load<T>(tile + i * row + j * column);
    Transforms<m>::input(d, t[i]);
  }
  for (int j = 0; j < a; ++j) {
    T column_values[a], out[a];
    for (int i = 0; i < a; ++i) column_values[i] = t[i][j];
    Transforms<m>::input(column_values, out);
    for (int i = 0; i < a; ++i) store<T>(v + (i * a + j) * xi_stride, out[i]);
  }
}

// y = Aᵀ M A for one tile: M[ξ] at s[ξ·xi_stride], y[i][j] to out[i·row + j·column].
template <int m, class T>
[[gnu::always_inline]] inline void output_tile(
    const float* s, Index xi_stride, float* out, Index row, Index column) {
  constexpr int a = m + 2;
  T t[a][m];
  for (int i = 0; i < a; ++i) {
    T values[a];
    for (int j = 0; j < a; ++j) values[j] = load<T>(s + (i * a + j) * xi_stride);
    Transforms<m>::output(values, t[i]);
  }
  for (int j = 0; j < m; ++j) {
    T column_values[a], y[m];
    for (int i = 0; i < a; ++i) column_values[i] = t[i][j];
    Transforms<m>::output(column_values, y);
    for (int i = 0; i < m; ++i) store<T>(out + i * row + j * column, y[i]);
  }
}

// Ẽ[ξ] = A E Aᵀ for one tile (the gradient of M from that of y): E[i][j] at
// tile[i·row + j·column] (i, j < m), Ẽ[ξ] at e[ξ·xi_stride].
template <int m, class T>
[[gnu::always_inline]] inline void gradient_tile(
    const float* tile, Index row, Index column, float* e, Index xi_stride) {
  constexpr int a = m + 2;
  T t[m][a];
  for (int i = 0; i < m; ++i) {
    T values[m];
    for (int j = 0; j < m; ++j) values[j] = load<T>(tile + i * row + j * column);
    Transforms<m>::output_adjoint(values, t[i]);
  }
  for (int q = 0; q < a; ++q) {
    T column_values[m], out[a];
    for (int i = 0; i < m; ++i) column_values[i] = t[i][q];
    Transforms<m>::output_adjoint(column_values, out);
    for (int p = 0; p < a; ++p) store<T>(e + (p * a + q) * xi_stride, out[p]);
  }
}

// C (rows × cols) = A (rows × depth) · B (depth × cols), or C += A · B when `accumulate`. A's
// element (r, k) is at a[r·a_stride + k·a_depth_stride] (so A may be a transposed view); B and C
// are row-major with the given row strides. Each C value is its start value plus the products
// in increasing k (fused multiply-adds), so it does not depend on how callers split the rows.
// Any cols; whole vectors of 16 columns go through register blocks, the rest through scalars.
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
                bool accumulate);

// padded[(y + 1)·padded_w + x + 1][p] = input[p][y·w + x] for `planes` planes of h × w, zero
// elsewhere in the padded_h × padded_w frame (padded_h ≥ h + 2, padded_w ≥ w + 2): the
// plane-last copy with a zero border that the tile transforms read.
void pad_transpose(const float* input,
                   Index planes,
                   Index h,
                   Index w,
                   Index padded_h,
                   Index padded_w,
                   float* padded);

// The frame of pad_transpose for tiles of m: whole m × m tiles plus the 1-pixel border.
struct PaddedFrame {
  Index tiles_y, tiles_x, padded_h, padded_w;
  PaddedFrame(int m, Index h, Index w)
      : tiles_y((h + m - 1) / m),
        tiles_x((w + m - 1) / m),
        padded_h(tiles_y * m + 2),
        padded_w(tiles_x * m + 2) {}
};

// pad_transpose of `planes` planes of h × w in the frame for tiles of m, followed by kLanes
// zeros (which the last tile's vector of channels reads), in `buffer` (grown as needed).
float* padded_copy(
    Eigen::VectorXf& buffer, int m, const float* input, Index planes, Index h, Index w);

// winograd_conv3x3 of `count` images given as their padded_copy (count·in planes): for callers
// that already hold that copy (the backward pass transposes dL/dy once for dW and dx).
void winograd_conv3x3_padded(const WinogradWeights& weights,
                             const float* padded,
                             Index count,
                             Index h,
                             Index w,
                             float* output,
                             const WinogradEpilogue& epilogue);

}  // namespace pcmkit::nn::winograd_detail
