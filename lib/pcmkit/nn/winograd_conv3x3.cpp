#include "pcmkit/nn/winograd_conv3x3.h"

#include <algorithm>
#include <cstring>

#include "pcmkit/core/error.h"
#include "pcmkit/nn/detail/conv_buffers.h"
#include "pcmkit/nn/detail/winograd_transforms.h"

namespace pcmkit::nn {
namespace {

using detail::scratch;

using namespace winograd_detail;

// Rows (tile, image) of V and M per block: the block's V and M (a²·rows·(in + out) floats) stay
// in L2 between the transforms and the 36 products, and the output transform of a block is
// written to NCHW while the block is still there.
constexpr Index kBlockFloats = Index{1} << 16;  // 256 KB

template <int m>
void convolve(const WinogradWeights& weights,
              const float* padded,
              Index count,
              Index h,
              Index w,
              float* output,
              const WinogradEpilogue& epilogue) {
  constexpr int a = m + 2;
  const Index in = weights.in_channels, out = weights.out_channels;
  // V and M rows hold whole vectors of channels: the lanes past `in` are other channels' values
  // that the products never read (their depth is `in`); those past `out` are exact zeros (U's
  // padding columns).
  const Index in_lanes = whole_lanes(in), out_lanes = weights.out_stride;
  // `padded`: the plane-last copy of the input with a zero border (padded_copy),
  // padded[(y + 1, x + 1)][image][in].
  const PaddedFrame frame(m, h, w);
  const Index tiles_y = frame.tiles_y, tiles_x = frame.tiles_x, padded_w = frame.padded_w;
  const Index planes_in = count * in, plane = h * w, full_w = tiles_x * m;
  static thread_local Eigen::VectorXf v_buffer, m_buffer, strip_buffer;

  // Blocks of whole strips (image, tile row ty); the block's rows are (strip, tx).
  const Index strips = count * tiles_y;
  const Index strips_per_block =
      std::clamp<Index>(kBlockFloats / (a * a * tiles_x * (in_lanes + out_lanes)), 1, strips);
  const Index most_rows = strips_per_block * tiles_x;
  float* v = scratch(v_buffer, a * a * most_rows * in_lanes);
  float* products = scratch(m_buffer, a * a * most_rows * out_lanes);
  // One strip of output rows, plane-last: strip[(i, x)][out_lanes], i < m, x < full_w.
  float* strip = scratch(strip_buffer, m * full_w * out_lanes);
  const Index row = padded_w * planes_in, column = planes_in;

  // The epilogue for `value` of output channel o at `pixel` of the image's plane. Its pointers
  // are copied to locals: the output stores could alias the struct, forcing reloads per value.
  const float *const bias = epilogue.bias, *const scale = epilogue.scale;
  const float *const shift = epilogue.shift, *const residual = epilogue.residual;
  const bool relu = epilogue.relu, streaming = epilogue.streaming;
  const auto finish = [=]<class T>(T value, Index image, Index o, Index pixel) {
    const Index offset = (image * out + o) * plane + pixel;
    if (bias) value = value + bias[o];
    if (scale) value = value * scale[o] + shift[o];
    if (residual) value = value + load<T>(residual + offset);
    if (relu) {
      if constexpr (std::is_same_v<T, float>)
        value = std::max(value, 0.0f);
      else
        value = value > T{} ? value : T{};
    }
    if (streaming)
      stream<T>(output + offset, value);
    else
      store<T>(output + offset, value);
  };
  // `n` consecutive pixels of the strip from strip pixel s0 to the plane from pixel p0, channels
  // 16 at a time through register transposes.
  const auto write_segment = [&](Index image, Index s0, Index p0, Index n) {
    const Index whole = n - n % kLanes;
    for (Index q0 = 0; q0 < out; q0 += kLanes) {
      const Index q_end = std::min(out, q0 + kLanes);
      for (Index k0 = 0; k0 < whole; k0 += kLanes) {
        // Row q − q0 of the transpose: 16 pixels of channel q, in the unit's vectors.
        const Transpose16 block(strip + (s0 + k0) * out_lanes + q0, out_lanes);
        for (Index q = q0; q < q_end; ++q)
          for (Index p = 0; p < kLanes / kVecLanes; ++p)
            finish(block.piece(q - q0, p), image, q, p0 + k0 + p * kVecLanes);
      }
      for (Index k = whole; k < n; ++k)
        for (Index q = q0; q < q_end; ++q)
          finish(strip[(s0 + k) * out_lanes + q], image, q, p0 + k);
    }
  };

  for (Index s0 = 0; s0 < strips; s0 += strips_per_block) {
    const Index block_strips = std::min(strips_per_block, strips - s0);
    const Index rows = block_strips * tiles_x;
    // V[ξ][row][in_lanes] = Bᵀ d B.
    for (Index sl = 0; sl < block_strips; ++sl) {
      const Index image = (s0 + sl) / tiles_y, ty = (s0 + sl) % tiles_y;
      for (Index tx = 0; tx < tiles_x; ++tx) {
        const float* tile = padded + (ty * m * padded_w + tx * m) * planes_in + image * in;
        float* v_tile = v + (sl * tiles_x + tx) * in_lanes;
        for (Index c = 0; c < in_lanes; c += kVecLanes)
          input_tile<m, Vec>(tile + c, row, column, v_tile + c, rows * in_lanes);
      }
    }
    // M_ξ = V_ξ · U_ξ: [ξ][row][out_lanes].
    for (Index xi = 0; xi < a * a; ++xi)
      small_gemm(v + xi * rows * in_lanes, in_lanes, 1, weights.u.data() + xi * in * out_lanes,
                 out_lanes, products + xi * rows * out_lanes, out_lanes, rows, in, out_lanes,
                 false);
    // Y = Aᵀ M A per strip, then the epilogue on the way to NCHW.
    for (Index sl = 0; sl < block_strips; ++sl) {
      const Index image = (s0 + sl) / tiles_y, y0 = ((s0 + sl) % tiles_y) * m;
      for (Index tx = 0; tx < tiles_x; ++tx) {
        const float* s = products + (sl * tiles_x + tx) * out_lanes;
        float* dst = strip + tx * m * out_lanes;
        for (Index q = 0; q < out_lanes; q += kVecLanes)
          output_tile<m, Vec>(s + q, rows * out_lanes, dst + q, full_w * out_lanes, out_lanes);
      }
      const Index valid_rows = std::min<Index>(m, h - y0);
      if (full_w == w) {
        write_segment(image, 0, y0 * w, valid_rows * w);
      } else {
        for (Index i = 0; i < valid_rows; ++i) write_segment(image, i * full_w, (y0 + i) * w, w);
      }
    }
  }
  if (streaming) stream_fence();
}

}  // namespace

WinogradWeights::WinogradWeights(const RowMatrixXf& weight, Index in, WinogradTile tile_size)
    : tile(tile_size),
      in_channels(in),
      out_channels(weight.rows()),
      out_stride(winograd_detail::whole_lanes(weight.rows())) {
  PCMKIT_CHECK(in >= 1 && weight.cols() == 9 * in, "WinogradWeights: weight is not out × in·9");
  // U = G g Gᵀ in double, 8 output channels at a time (the lanes of DoubleLanes; the same
  // operations as one channel at a time, so the same values). Each (o, c) writes its own values:
  // any thread split gives the same u.
  const auto transform = [&]<int m>() {
    constexpr int a = m + 2;
    constexpr Index lanes = winograd_detail::kDoubleLanes;
    using winograd_detail::DoubleLanes;
    u.setZero(a * a * in * out_stride);
    const Index blocks = (out_channels + lanes - 1) / lanes;
    // ~25 ns per (o, c) pair: below ~16k pairs (all of a CIFAR ResNet's layers) one thread is done
    // before a second one would have woken up.
#pragma omp parallel for schedule(static) if (out_channels * in >= 16384)
    for (Index block = 0; block < blocks * in; ++block) {
      const Index c = block / blocks, o0 = block % blocks * lanes;
      const Index valid = std::min(lanes, out_channels - o0);
      DoubleLanes g[3][3], gt[3][a], result[a][a];
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
          g[i][j] = DoubleLanes{};
          for (Index k = 0; k < valid; ++k) g[i][j][k] = weight(o0 + k, c * 9 + i * 3 + j);
        }
      for (int i = 0; i < 3; ++i) Transforms<m>::kernel(g[i], gt[i]);  // rows of g Gᵀ
      for (int j = 0; j < a; ++j) {  // G (g Gᵀ), column by column
        const DoubleLanes column[3] = {gt[0][j], gt[1][j], gt[2][j]};
        DoubleLanes column_u[a];
        Transforms<m>::kernel(column, column_u);
        for (int i = 0; i < a; ++i) result[i][j] = column_u[i];
      }
      // All 8 lanes: o0 + 8 ≤ out_stride, and the lanes past out_channels transform zeros.
      typedef float FloatLanes
          __attribute__((vector_size(lanes * sizeof(float)), aligned(4), may_alias));
      for (int xi = 0; xi < a * a; ++xi)
        *reinterpret_cast<FloatLanes*>(u.data() + (xi * in + c) * out_stride + o0) =
            __builtin_convertvector(result[xi / a][xi % a], FloatLanes);
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

WinogradBatchSplit::WinogradBatchSplit(
    WinogradTile tile, Index n, Index in, Index h, Index w, int threads)
    : images(n) {
  const Index m = static_cast<Index>(tile);
  const Index padded = in * (((h + m - 1) / m) * m + 2) * (((w + m - 1) / m) * m + 2);
  const Index most = std::max<Index>(1, kWinogradFloatsPerChunk / padded);
  const Index fewest = (n + most - 1) / most, t = std::max(1, threads);
  count = std::clamp<Index>((fewest + t - 1) / t * t, 1, std::max<Index>(1, n));
}

void winograd_detail::winograd_conv3x3_padded(const WinogradWeights& weights,
                                              const float* padded,
                                              Index count,
                                              Index h,
                                              Index w,
                                              float* output,
                                              const WinogradEpilogue& epilogue) {
  if (weights.tile == WinogradTile::k2x2)
    convolve<2>(weights, padded, count, h, w, output, epilogue);
  else
    convolve<4>(weights, padded, count, h, w, output, epilogue);
}

void winograd_conv3x3(const WinogradWeights& weights,
                      const float* input,
                      Index count,
                      Index h,
                      Index w,
                      float* output,
                      const WinogradEpilogue& epilogue) {
  static thread_local Eigen::VectorXf padded_buffer;
  const float* padded = padded_copy(padded_buffer, static_cast<int>(weights.tile), input,
                                    count * weights.in_channels, h, w);
  winograd_conv3x3_padded(weights, padded, count, h, w, output, epilogue);
}

}  // namespace pcmkit::nn
