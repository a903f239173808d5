#include "pcmkit/nn/shortcut_a.h"

#include "pcmkit/core/error.h"

namespace pcmkit::nn {

ShortcutA::ShortcutA(Index planes) : planes_(planes) {
  PCMKIT_CHECK(planes >= 1, "ShortcutA: planes < 1");
}

Tensor ShortcutA::forward(Tensor input) {
  const Index pad = pad_channels(), c_in = input.channels();
  const Index h = input.height(), w = input.width();
  const Index h_out = (h + 1) / 2, w_out = (w + 1) / 2;
  const Index n = input.n();
  Tensor output(n, c_in + 2 * pad, h_out, w_out);
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i)
    for (Index c = 0; c < c_in; ++c)
      for (Index y = 0; y < h_out; ++y)
        for (Index x = 0; x < w_out; ++x) output(i, c + pad, y, x) = input(i, c, 2 * y, 2 * x);
  return output;
}

Tensor ShortcutA::forward_train(Tensor input) {
  in_channels_ = input.channels();
  in_height_ = input.height();
  in_width_ = input.width();
  return forward(std::move(input));
}

Tensor ShortcutA::backward(Tensor grad_output) {
  PCMKIT_CHECK(in_channels_ >= 0, "ShortcutA::backward without forward_train");
  const Index pad = pad_channels(), n = grad_output.n();
  PCMKIT_CHECK(grad_output.channels() == in_channels_ + 2 * pad &&
                   grad_output.height() == (in_height_ + 1) / 2 &&
                   grad_output.width() == (in_width_ + 1) / 2,
               "ShortcutA::backward: gradient " + grad_output.shape_text() + " does not fit");
  Tensor grad_input(n, in_channels_, in_height_, in_width_);
  const Index c_in = in_channels_, h_out = grad_output.height(), w_out = grad_output.width();
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i)
    for (Index c = 0; c < c_in; ++c)
      for (Index y = 0; y < h_out; ++y)
        for (Index x = 0; x < w_out; ++x)
          grad_input(i, c, 2 * y, 2 * x) = grad_output(i, c + pad, y, x);
  in_channels_ = -1;
  return grad_input;
}

}  // namespace pcmkit::nn
