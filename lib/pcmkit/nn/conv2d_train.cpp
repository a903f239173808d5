// Conv2d's training pass and backward pass (contract and equations in conv2d.h). Kept apart from
// conv2d.cpp so that the evaluation fast path can change without touching the gradients.
#include <algorithm>
#include <optional>

#include "pcmkit/core/error.h"
#include "pcmkit/nn/conv2d.h"
#include "pcmkit/nn/detail/conv_buffers.h"
#include "pcmkit/nn/detail/im2col.h"
#include "pcmkit/nn/detail/winograd_weight_gradient.h"

namespace pcmkit::nn {
namespace {

using detail::col2im;
using detail::im2col;
using detail::scratch;

}  // namespace

Tensor Conv2d::forward_train(Tensor input) {
  Tensor output = forward_fused(input, {});
  train_input_ = std::move(input);
  has_train_input_ = true;
  return output;
}

// The kernel of the transposed convolution out → in with the kernel flipped: dL/dx of a "same"
// convolution is that convolution's forward pass of dL/dy (see backward).
RowMatrixXf Conv2d::flipped_kernel() const {
  const RowMatrixXf& weight = forward_weight();
  const Index outs = weight.rows(), kk = kernel_ * kernel_;
  RowMatrixXf flipped(in_channels_, outs * kk);
  for (Index o = 0; o < outs; ++o)
    for (Index c = 0; c < in_channels_; ++c)
      for (Index t = 0; t < kk; ++t) flipped(c, o * kk + kk - 1 - t) = weight(o, c * kk + t);
  return flipped;
}

Tensor Conv2d::flipped_kernel_forward(const Tensor& grad_output) const {
  Conv2d transposed(weight_.rows(), in_channels_, kernel_, 1, padding_);
  transposed.set_algorithm(Algorithm::kIm2colGemm);  // only the im2col branch comes here
  transposed.master_weight() = flipped_kernel();
  return transposed.forward_fused(grad_output, {});
}

Tensor Conv2d::backward(Tensor grad_output) {
  PCMKIT_CHECK(has_train_input_, "Conv2d::backward without forward_train");
  const Tensor& input = train_input_;
  const detail::ConvGeometry g(in_channels_, input.height(), input.width(), kernel_, stride_,
                               padding_);
  const Index n = input.n(), outs = weight_.rows(), depth = weight_.cols(), plane = g.plane();
  PCMKIT_CHECK(grad_output.n() == n && grad_output.channels() == outs &&
                   grad_output.height() == g.h_out && grad_output.width() == g.w_out,
               "Conv2d::backward: gradient " + grad_output.shape_text() + " for an output [" +
                   std::to_string(n) + ", " + std::to_string(outs) + ", " +
                   std::to_string(g.h_out) + ", " + std::to_string(g.w_out) + "]");
  const RowMatrixXf& weight = forward_weight();
  const Algorithm algorithm = effective_algorithm();
  if (algorithm != Algorithm::kIm2colGemm) {
    // dW by the adjoint of the Winograd forward pass and dx as below (the flipped kernel,
    // Winograd too), both from one transposed copy of grad_output; db as sums in image order.
    const WinogradTile tile =
        algorithm == Algorithm::kWinograd2x2 ? WinogradTile::k2x2 : WinogradTile::k4x4;
    // Without an input gradient, neither the flipped kernel nor dL/dx.
    std::optional<WinogradWeights> flipped;
    Tensor grad_input;
    if (input_gradient_) {
      flipped.emplace(flipped_kernel(), outs, tile);
      grad_input = Tensor::uninitialized(n, in_channels_, g.h, g.w);
    }
    weight_grad_ += winograd_weight_gradient(
        tile, input.data(), grad_output.data(), n, in_channels_, outs, g.h, g.w,
        flipped ? &*flipped : nullptr, flipped ? grad_input.data() : nullptr);
    if (has_bias())
      for (Index i = 0; i < n; ++i) bias_grad_ += grad_output.image(i).rowwise().sum();
    train_input_ = Tensor();
    has_train_input_ = false;
    return grad_input;
  }
  const Index images_per_chunk = std::max<Index>(1, kColumnFloatsPerChunk / (depth * plane));
  const Index num_chunks = (n + images_per_chunk - 1) / images_per_chunk;
  // dL/dx of a "same" convolution is the correlation of the gradient with the flipped kernel:
  //   dx[c, y, x] = Σ_{o, ky, kx} W[o, c, k−1−ky, k−1−kx] · g[o, y − p + ky, x − p + kx],
  // i.e. the forward pass of a convolution out → in with that kernel (after the chunk loop),
  // which is a GEMM of forward's shape instead of a thin one with `out` rows plus a col2im
  // scatter, and gains from any speed-up of forward().
  const bool same = g.same_shape();
  const bool scatter = input_gradient_ && !same;  // dx by col2im in the chunks
  Tensor grad_input = scatter ? Tensor::uninitialized(n, in_channels_, g.h, g.w) : Tensor();
  RowMatrixXf partial_dw(num_chunks * outs, depth);
  RowMatrixXf partial_db(num_chunks, outs);

#pragma omp parallel for schedule(dynamic, 1)
  for (Index chunk = 0; chunk < num_chunks; ++chunk) {
    static thread_local Eigen::VectorXf cols_buffer, grad_buffer;
    const Index first = chunk * images_per_chunk;
    const Index count = std::min(images_per_chunk, n - first);
    const Index columns = count * plane;
    Eigen::Map<RowMatrixXf> cols(scratch(cols_buffer, depth * columns), depth, columns);
    Eigen::Map<RowMatrixXf> grad(scratch(grad_buffer, outs * columns), outs, columns);
    for (Index b = 0; b < count; ++b)
      grad.middleCols(b * plane, plane) = grad_output.image(first + b);
    im2col(input.data(), g, first, count, cols.data());
    partial_dw.middleRows(chunk * outs, outs).noalias() = grad * cols.transpose();
    partial_db.row(chunk) = grad.rowwise().sum().transpose();
    if (scatter) {
      cols.noalias() = weight.transpose() * grad;  // d(cols), reusing the columns' buffer
      col2im(cols.data(), g, first, count, grad_input.data());  // sets the chunk's images
    }
  }
  if (same && input_gradient_) grad_input = flipped_kernel_forward(grad_output);
  // In chunk order, whatever thread computed each chunk.
  for (Index chunk = 0; chunk < num_chunks; ++chunk) {
    weight_grad_ += partial_dw.middleRows(chunk * outs, outs);
    if (has_bias()) bias_grad_ += partial_db.row(chunk).transpose();
  }
  train_input_ = Tensor();
  has_train_input_ = false;
  return grad_input;
}

}  // namespace pcmkit::nn
