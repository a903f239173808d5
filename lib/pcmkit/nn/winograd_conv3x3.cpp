#include "pcmkit/nn/winograd_conv3x3.h"

#include <algorithm>
#include <cstring>

#include "pcmkit/core/error.h"

namespace pcmkit::nn {
namespace {

// 16 floats handled as one value (one AVX-512 register; GCC splits it on narrower units). The
// plane-last layout makes every tile transform the same arithmetic on 16 neighbouring planes.
constexpr Index kLanes = 16;
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float)), aligned(4), may_alias));

template <class T>
T load(const float* p) {
  if constexpr (std::is_same_v<T, float>)
    return *p;
  else
    return *reinterpret_cast<const Lanes*>(p);
}
template <class T>
void store(float* p, T v) {
  if constexpr (std::is_same_v<T, float>)
    *p = v;
  else
    *reinterpret_cast<Lanes*>(p) = v;
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
    rows[i] = __builtin_shuffle(a, c, low);
    rows[i + b] = __builtin_shuffle(a, c, high);
  }
}
[[gnu::always_inline]] inline void transpose16(Lanes rows[kLanes]) {
  transpose_stage<8>(rows);
  transpose_stage<4>(rows);
  transpose_stage<2>(rows);
  transpose_stage<1>(rows);
}

// The one-dimensional transforms: v = Bᵀ d, y = Aᵀ m (header), for tile size a = m + 2.
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
  static void kernel(const double g[3], double u[4]) {
    u[0] = g[0];
    u[1] = 0.5 * (g[0] + g[1] + g[2]);
    u[2] = 0.5 * (g[0] - g[1] + g[2]);
    u[3] = g[2];
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
  static void kernel(const double g[3], double u[6]) {
    u[0] = g[0] / 4;
    u[1] = -(g[0] + g[1] + g[2]) / 6;
    u[2] = -(g[0] - g[1] + g[2]) / 6;
    u[3] = g[0] / 24 + g[1] / 12 + g[2] / 6;
    u[4] = g[0] / 24 - g[1] / 12 + g[2] / 6;
    u[5] = g[2];
  }
};

// V[ξ] = Bᵀ d B for one tile and lanes of planes: d[i][j] at tile[i·row + j·column], V[ξ] at
// v[ξ·xi_stride].
template <int m, class T>
void input_tile(const float* tile, Index row, Index column, float* v, Index xi_stride) {
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
void output_tile(const float* s, Index xi_stride, float* out, Index row, Index column) {
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

float* scratch(Eigen::VectorXf& buffer, Index size) {
  if (buffer.size() < size) buffer.resize(size);
  return buffer.data();
}

template <int m>
void convolve(const WinogradWeights& weights,
              const float* input,
              Index count,
              Index h,
              Index w,
              float* output,
              const WinogradEpilogue& epilogue) {
  constexpr int a = m + 2;
  const Index in = weights.in_channels, out = weights.out_channels;
  const Index tiles_y = (h + m - 1) / m, tiles_x = (w + m - 1) / m, tiles = tiles_y * tiles_x;
  const Index planes_in = count * in, planes_out = count * out, plane = h * w;
  const Index padded_h = tiles_y * m + 2, padded_w = tiles_x * m + 2;
  static thread_local Eigen::VectorXf padded_buffer, v_buffer, m_buffer, y_buffer;

  // Plane-last copy of the input with a zero border: padded[(y + 1, x + 1)][plane].
  float* padded = scratch(padded_buffer, padded_h * padded_w * planes_in);
  for (Index y = 0; y < padded_h; ++y) {
    float* row = padded + y * padded_w * planes_in;
    if (y == 0 || y > h) {
      std::fill(row, row + padded_w * planes_in, 0.0f);
      continue;
    }
    std::fill(row, row + planes_in, 0.0f);
    std::fill(row + (w + 1) * planes_in, row + padded_w * planes_in, 0.0f);
  }
  // Interior: 16 planes × 16 pixels at a time through registers; scalar for the remainders.
  const auto padded_at = [&](Index pixel) {
    return padded + ((pixel / w + 1) * padded_w + pixel % w + 1) * planes_in;
  };
  const Index plane_blocks = plane - plane % kLanes, plane_lanes = planes_in - planes_in % kLanes;
  for (Index p0 = 0; p0 < plane_lanes; p0 += kLanes) {
    for (Index pixel0 = 0; pixel0 < plane_blocks; pixel0 += kLanes) {
      Lanes block[kLanes];
      for (Index k = 0; k < kLanes; ++k) block[k] = load<Lanes>(input + (p0 + k) * plane + pixel0);
      transpose16(block);
      for (Index k = 0; k < kLanes; ++k) store<Lanes>(padded_at(pixel0 + k) + p0, block[k]);
    }
    for (Index pixel = plane_blocks; pixel < plane; ++pixel)
      for (Index k = 0; k < kLanes; ++k) padded_at(pixel)[p0 + k] = input[(p0 + k) * plane + pixel];
  }
  for (Index p = plane_lanes; p < planes_in; ++p)
    for (Index pixel = 0; pixel < plane; ++pixel) padded_at(pixel)[p] = input[p * plane + pixel];

  // V[ξ][tile][image][in].
  const Index v_xi = tiles * planes_in;
  float* v = scratch(v_buffer, a * a * v_xi);
  const Index row = padded_w * planes_in, column = planes_in;
  for (Index ty = 0; ty < tiles_y; ++ty)
    for (Index tx = 0; tx < tiles_x; ++tx) {
      const float* tile = padded + (ty * m * padded_w + tx * m) * planes_in;
      float* v_tile = v + (ty * tiles_x + tx) * planes_in;
      Index p = 0;
      for (; p + kLanes <= planes_in; p += kLanes)
        input_tile<m, Lanes>(tile + p, row, column, v_tile + p, v_xi);
      for (; p < planes_in; ++p) input_tile<m, float>(tile + p, row, column, v_tile + p, v_xi);
    }

  // M_ξ = V_ξ · U_ξ: [ξ][tile][image][out].
  const Index m_xi = tiles * planes_out;
  float* products = scratch(m_buffer, a * a * m_xi);
  for (Index xi = 0; xi < a * a; ++xi) {
    const Eigen::Map<const RowMatrixXf> v_xi_matrix(v + xi * v_xi, tiles * count, in);
    const Eigen::Map<const RowMatrixXf> u_xi(weights.u.data() + xi * in * out, in, out);
    Eigen::Map<RowMatrixXf> m_xi_matrix(products + xi * m_xi, tiles * count, out);
    m_xi_matrix.noalias() = v_xi_matrix * u_xi;
  }

  // Y = Aᵀ M A, plane-last: y_last[(y, x)][image][out] over the whole tiles.
  const Index full_w = tiles_x * m;
  float* y_last = scratch(y_buffer, tiles_y * m * full_w * planes_out);
  const Index y_row = full_w * planes_out, y_column = planes_out;
  for (Index ty = 0; ty < tiles_y; ++ty)
    for (Index tx = 0; tx < tiles_x; ++tx) {
      const float* s = products + (ty * tiles_x + tx) * planes_out;
      float* dst = y_last + (ty * m * full_w + tx * m) * planes_out;
      Index q = 0;
      for (; q + kLanes <= planes_out; q += kLanes)
        output_tile<m, Lanes>(s + q, m_xi, dst + q, y_row, y_column);
      for (; q < planes_out; ++q) output_tile<m, float>(s + q, m_xi, dst + q, y_row, y_column);
    }

  // Back to NCHW, with the epilogue: 16 planes × 16 pixels at a time through registers.
  const auto y_at = [&](Index pixel) {
    return y_last + ((pixel / w) * full_w + pixel % w) * planes_out;
  };
  const auto finish = [&]<class T>(T value, Index q, Index pixel) {
    const Index o = q % out;
    if (epilogue.bias) value = value + epilogue.bias[o];
    if (epilogue.scale) value = value * epilogue.scale[o] + epilogue.shift[o];
    if (epilogue.residual) value = value + load<T>(epilogue.residual + q * plane + pixel);
    if (epilogue.relu) {
      if constexpr (std::is_same_v<T, float>)
        value = std::max(value, 0.0f);
      else
        value = value > T{} ? value : T{};
    }
    store<T>(output + q * plane + pixel, value);
  };
  const Index q_lanes = planes_out - planes_out % kLanes;
  for (Index q0 = 0; q0 < q_lanes; q0 += kLanes) {
    for (Index pixel0 = 0; pixel0 < plane_blocks; pixel0 += kLanes) {
      Lanes block[kLanes];
      for (Index k = 0; k < kLanes; ++k) block[k] = load<Lanes>(y_at(pixel0 + k) + q0);
      transpose16(block);
      for (Index k = 0; k < kLanes; ++k) finish(block[k], q0 + k, pixel0);
    }
    for (Index pixel = plane_blocks; pixel < plane; ++pixel)
      for (Index k = 0; k < kLanes; ++k) finish(y_at(pixel)[q0 + k], q0 + k, pixel);
  }
  for (Index q = q_lanes; q < planes_out; ++q)
    for (Index pixel = 0; pixel < plane; ++pixel) finish(y_at(pixel)[q], q, pixel);
}

}  // namespace

WinogradWeights::WinogradWeights(const RowMatrixXf& weight, Index in, WinogradTile tile_size)
    : tile(tile_size), in_channels(in), out_channels(weight.rows()) {
  PCMKIT_CHECK(in >= 1 && weight.cols() == 9 * in, "WinogradWeights: weight is not out × in·9");
  const auto transform = [&]<int m>() {
    constexpr int a = m + 2;
    u.resize(a * a * in * out_channels);
    for (Index o = 0; o < out_channels; ++o)
      for (Index c = 0; c < in; ++c) {
        double g[3][3], gt[3][a], result[a][a];
        for (int i = 0; i < 3; ++i)
          for (int j = 0; j < 3; ++j) g[i][j] = weight(o, c * 9 + i * 3 + j);
        for (int i = 0; i < 3; ++i) {  // rows of g Gᵀ
          double row_u[a];
          Transforms<m>::kernel(g[i], row_u);
          for (int j = 0; j < a; ++j) gt[i][j] = row_u[j];
        }
        for (int j = 0; j < a; ++j) {  // G (g Gᵀ), column by column
          const double column[3] = {gt[0][j], gt[1][j], gt[2][j]};
          double column_u[a];
          Transforms<m>::kernel(column, column_u);
          for (int i = 0; i < a; ++i) result[i][j] = column_u[i];
        }
        for (int xi = 0; xi < a * a; ++xi)
          u[(xi * in + c) * out_channels + o] = static_cast<float>(result[xi / a][xi % a]);
      }
  };
  if (tile == WinogradTile::k2x2)
    transform.template operator()<2>();
  else
    transform.template operator()<4>();
}

std::shared_ptr<const WinogradWeights> WinogradWeightCache::get(const RowMatrixXf& weight,
                                                                Index in_channels,
                                                                WinogradTile tile) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const bool same = weights_ && weights_->tile == tile && weights_->in_channels == in_channels &&
                    source_.rows() == weight.rows() && source_.cols() == weight.cols() &&
                    std::memcmp(source_.data(), weight.data(), sizeof(float) * weight.size()) == 0;
  if (!same) {
    weights_ = std::make_shared<const WinogradWeights>(weight, in_channels, tile);
    source_ = weight;
  }
  return weights_;
}

Index winograd_images_per_chunk(WinogradTile tile, Index n, Index in, Index out, Index h, Index w) {
  const Index m = static_cast<Index>(tile), a = m + 2;
  const Index tiles = ((h + m - 1) / m) * ((w + m - 1) / m);
  const Index most = std::max<Index>(1, kWinogradFloatsPerChunk / (a * a * tiles * (in + out)));
  const Index chunks = std::max<Index>(1, (n + most - 1) / most);
  return std::max<Index>(1, (n + chunks - 1) / chunks);
}

void winograd_conv3x3(const WinogradWeights& weights,
                      const float* input,
                      Index count,
                      Index h,
                      Index w,
                      float* output,
                      const WinogradEpilogue& epilogue) {
  if (weights.tile == WinogradTile::k2x2)
    convolve<2>(weights, input, count, h, w, output, epilogue);
  else
    convolve<4>(weights, input, count, h, w, output, epilogue);
}

}  // namespace pcmkit::nn
