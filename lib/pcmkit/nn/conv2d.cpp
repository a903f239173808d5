#include "pcmkit/nn/conv2d.h"

#include <algorithm>

#include "pcmkit/core/error.h"
#include "pcmkit/core/threads.h"
#include "pcmkit/nn/detail/conv_buffers.h"
#include "pcmkit/nn/detail/im2col.h"
#include "pcmkit/nn/winograd_conv3x3.h"

namespace pcmkit::nn {
namespace {

using detail::scratch;

// One output row of `size` values: dst = epilogue(src + bias), with the steps of
// Conv2d::Epilogue, each the same Eigen expression as the separate layer it replaces. One
// vectorised pass per step over a row that stays in L1 (GCC neither unswitched nor vectorised
// a single scalar loop with the steps' conditions inside).
void finish_row(const float* src,
                float* dst,
                Index size,
                const float* bias,
                const float* scale,
                const float* shift,
                const float* residual,
                bool relu) {
  const Eigen::Map<const Eigen::ArrayXf> in(src, size);
  Eigen::Map<Eigen::ArrayXf> out(dst, size);
  if (bias)
    out = in + *bias;
  else
    out = in;
  if (scale) out = out * *scale + *shift;
  if (residual) out += Eigen::Map<const Eigen::ArrayXf>(residual, size);
  if (relu) out = out.max(0.0f);
}

}  // namespace

Conv2d::Conv2d(Index in_channels,
               Index out_channels,
               Index kernel_size,
               Index stride,
               Index padding,
               bool bias)
    : in_channels_(in_channels), kernel_(kernel_size), stride_(stride), padding_(padding) {
  PCMKIT_CHECK(
      in_channels >= 1 && out_channels >= 1 && kernel_size >= 1 && stride >= 1 && padding >= 0,
      "Conv2d: invalid geometry");
  weight_.setZero(out_channels, in_channels * kernel_size * kernel_size);
  weight_grad_.setZero(out_channels, in_channels * kernel_size * kernel_size);
  if (bias) bias_.setZero(out_channels);
  if (bias) bias_grad_.setZero(out_channels);
}

Tensor Conv2d::forward(Tensor input) { return forward_fused(input, {}); }

Conv2d::Algorithm Conv2d::effective_algorithm() const {
  const bool same_3x3 = kernel_ == 3 && stride_ == 1 && padding_ == 1;
  return same_3x3 ? algorithm_ : Algorithm::kIm2colGemm;
}

Tensor Conv2d::forward_fused(const Tensor& input, const Epilogue& epilogue) {
  PCMKIT_CHECK(input.channels() == in_channels_,
               "Conv2d: input has " + std::to_string(input.channels()) + " channels, expected " +
                   std::to_string(in_channels_));
  const Index h = input.height(), w = input.width();
  PCMKIT_CHECK(h + 2 * padding_ >= kernel_ && w + 2 * padding_ >= kernel_,
               "Conv2d: input smaller than the kernel");
  const Index h_out = (h + 2 * padding_ - kernel_) / stride_ + 1;
  const Index w_out = (w + 2 * padding_ - kernel_) / stride_ + 1;
  const Index plane = h_out * w_out;
  const Index depth = weight_.cols();
  const Index outs = weight_.rows();
  const Index n = input.n();
  Tensor output = Tensor::uninitialized(n, outs, h_out, w_out);
  PCMKIT_CHECK((epilogue.scale == nullptr) == (epilogue.shift == nullptr),
               "Conv2d: epilogue needs both scale and shift");
  PCMKIT_CHECK(epilogue.scale == nullptr ||
                   (epilogue.scale->size() == outs && epilogue.shift->size() == outs),
               "Conv2d: epilogue scale or shift has the wrong size");
  PCMKIT_CHECK(epilogue.residual == nullptr || epilogue.residual->same_shape(output),
               "Conv2d: residual " +
                   (epilogue.residual ? epilogue.residual->shape_text() : std::string()) +
                   " differs from the output " + output.shape_text());
  // Bias and epilogue for output row (image, o) from `src`, while the chunk is still in cache.
  const auto finish = [&](const float* src, Index image, Index o) {
    const Index offset = (image * outs + o) * plane;
    finish_row(src, output.data() + offset, plane, has_bias() ? &bias_[o] : nullptr,
               epilogue.scale ? &(*epilogue.scale)[o] : nullptr,
               epilogue.shift ? &(*epilogue.shift)[o] : nullptr,
               epilogue.residual ? epilogue.residual->data() + offset : nullptr, epilogue.relu);
  };

  const Algorithm algorithm = effective_algorithm();
  if (algorithm != Algorithm::kIm2colGemm) {
    const WinogradTile tile =
        algorithm == Algorithm::kWinograd2x2 ? WinogradTile::k2x2 : WinogradTile::k4x4;
    const std::shared_ptr<const WinogradWeights> transformed =
        winograd_weights_.get(forward_weight(), in_channels_, tile);
    const WinogradBatchSplit split(tile, n, in_channels_, h, w, num_threads());
#pragma omp parallel for schedule(dynamic, 1)
    for (Index chunk = 0; chunk < split.count; ++chunk) {
      const Index first = split.first(chunk);
      const Index count = split.first(chunk + 1) - first;
      const Index offset = first * outs * plane;
      const WinogradEpilogue steps{has_bias() ? bias_.data() : nullptr,
                                   epilogue.scale ? epilogue.scale->data() : nullptr,
                                   epilogue.shift ? epilogue.shift->data() : nullptr,
                                   epilogue.residual ? epilogue.residual->data() + offset : nullptr,
                                   epilogue.relu,
                                   winograd_streams_output(output.size())};
      winograd_conv3x3(*transformed, input.data() + first * in_channels_ * plane, count, h, w,
                       output.data() + offset, steps);
    }
    return output;
  }

  const Index images_per_chunk = std::max<Index>(1, kColumnFloatsPerChunk / (depth * plane));
  const Index num_chunks = (n + images_per_chunk - 1) / images_per_chunk;
  const RowMatrixXf& weight = forward_weight();
  const MatrixProduct* unit = matrix_product();  // null: the plain GEMM
  const detail::ConvGeometry geometry(in_channels_, h, w, kernel_, stride_, padding_);

#pragma omp parallel for schedule(dynamic, 1)
  for (Index chunk = 0; chunk < num_chunks; ++chunk) {
    static thread_local Eigen::VectorXf cols_buffer, out_buffer;
    const Index first = chunk * images_per_chunk;
    const Index count = std::min(images_per_chunk, n - first);
    const Index columns = count * plane;
    Eigen::Map<RowMatrixXf> cols(scratch(cols_buffer, depth * columns), depth, columns);
    Eigen::Map<RowMatrixXf> result(scratch(out_buffer, outs * columns), outs, columns);

    detail::im2col(input.data(), geometry, first, count, cols.data());

    if (unit)
      unit->multiply(weight, cols, result);
    else
      result.noalias() = weight * cols;

    // Scatter each image's columns into place, applying the bias and the epilogue on the way,
    // while the chunk's result is still in cache.
    for (Index b = 0; b < count; ++b)
      for (Index o = 0; o < outs; ++o)
        finish(result.data() + o * columns + b * plane, first + b, o);
  }
  return output;
}

void Conv2d::collect_parameters(const std::string& prefix, std::vector<ParameterRef>& out) {
  collect_weight_and_bias(prefix, {weight_.rows(), in_channels_, kernel_, kernel_}, out);
}

void Conv2d::collect_analog_layers(const std::string& prefix, std::vector<AnalogLayerRef>& out) {
  out.push_back({prefix, this});
}

}  // namespace pcmkit::nn
