#include "pcmkit/nn/pooling.h"

#include <algorithm>
#include <limits>

#include "pcmkit/core/error.h"

namespace pcmkit::nn {

MaxPool2d::MaxPool2d(Index kernel_size, Index stride, Index padding)
    : kernel_(kernel_size), stride_(stride), padding_(padding) {
  PCMKIT_CHECK(kernel_size >= 1 && stride >= 1 && padding >= 0 && 2 * padding <= kernel_size,
               "MaxPool2d: invalid geometry");
}

Tensor MaxPool2d::forward(Tensor input) {
  const Index h = input.height(), w = input.width(), k = kernel_, s = stride_, p = padding_;
  PCMKIT_CHECK(h + 2 * p >= k && w + 2 * p >= k, "MaxPool2d: input smaller than the kernel");
  const Index h_out = (h + 2 * p - k) / s + 1, w_out = (w + 2 * p - k) / s + 1;
  const Index planes = input.n() * input.channels();
  Tensor output(input.n(), input.channels(), h_out, w_out);
#pragma omp parallel for schedule(static)
  for (Index q = 0; q < planes; ++q) {
    const float* src = input.data() + q * h * w;
    float* dst = output.data() + q * h_out * w_out;
    for (Index y = 0; y < h_out; ++y) {
      const Index y0 = std::max<Index>(0, y * s - p), y1 = std::min(h, y * s - p + k);
      for (Index x = 0; x < w_out; ++x) {
        const Index x0 = std::max<Index>(0, x * s - p), x1 = std::min(w, x * s - p + k);
        float m = -std::numeric_limits<float>::infinity();
        for (Index iy = y0; iy < y1; ++iy)
          for (Index ix = x0; ix < x1; ++ix) m = std::max(m, src[iy * w + ix]);
        dst[y * w_out + x] = m;
      }
    }
  }
  return output;
}

AvgPool2d::AvgPool2d(Index kernel_size, Index stride) : kernel_(kernel_size), stride_(stride) {
  PCMKIT_CHECK(kernel_size >= 1 && stride >= 1, "AvgPool2d: invalid geometry");
}

Tensor AvgPool2d::forward(Tensor input) {
  const Index h = input.height(), w = input.width(), k = kernel_, s = stride_;
  PCMKIT_CHECK(h >= k && w >= k, "AvgPool2d: input smaller than the kernel");
  const Index h_out = (h - k) / s + 1, w_out = (w - k) / s + 1;
  const Index planes = input.n() * input.channels();
  const float inv_count = 1.0f / static_cast<float>(k * k);
  Tensor output(input.n(), input.channels(), h_out, w_out);
#pragma omp parallel for schedule(static)
  for (Index q = 0; q < planes; ++q) {
    const float* src = input.data() + q * h * w;
    float* dst = output.data() + q * h_out * w_out;
    for (Index y = 0; y < h_out; ++y)
      for (Index x = 0; x < w_out; ++x) {
        float sum = 0.0f;
        for (Index iy = y * s; iy < y * s + k; ++iy)
          for (Index ix = x * s; ix < x * s + k; ++ix) sum += src[iy * w + ix];
        dst[y * w_out + x] = sum * inv_count;
      }
  }
  return output;
}

Tensor GlobalAvgPool2d::forward(Tensor input) {
  const Index planes = input.n() * input.channels(), area = input.plane_size();
  Tensor output(input.n(), input.channels(), 1, 1);
#pragma omp parallel for schedule(static)
  for (Index q = 0; q < planes; ++q) {
    double sum = 0.0;
    const float* src = input.data() + q * area;
    for (Index j = 0; j < area; ++j) sum += src[j];
    output.data()[q] = static_cast<float>(sum / static_cast<double>(area));
  }
  return output;
}

Tensor MaxPool2d::forward_train(Tensor input) {
  Tensor output = forward(input);
  train_input_ = std::move(input);
  has_train_input_ = true;
  return output;
}

Tensor MaxPool2d::backward(Tensor grad_output) {
  PCMKIT_CHECK(has_train_input_, "MaxPool2d::backward without forward_train");
  const Tensor& input = train_input_;
  const Index h = input.height(), w = input.width(), k = kernel_, s = stride_, p = padding_;
  const Index h_out = (h + 2 * p - k) / s + 1, w_out = (w + 2 * p - k) / s + 1;
  PCMKIT_CHECK(grad_output.n() == input.n() && grad_output.channels() == input.channels() &&
                   grad_output.height() == h_out && grad_output.width() == w_out,
               "MaxPool2d::backward: gradient " + grad_output.shape_text() + " does not fit");
  const Index planes = input.n() * input.channels();
  Tensor grad_input(input.n(), input.channels(), h, w);
#pragma omp parallel for schedule(static)
  for (Index q = 0; q < planes; ++q) {
    const float* src = input.data() + q * h * w;
    const float* g = grad_output.data() + q * h_out * w_out;
    float* dst = grad_input.data() + q * h * w;
    for (Index y = 0; y < h_out; ++y) {
      const Index y0 = std::max<Index>(0, y * s - p), y1 = std::min(h, y * s - p + k);
      for (Index x = 0; x < w_out; ++x) {
        const Index x0 = std::max<Index>(0, x * s - p), x1 = std::min(w, x * s - p + k);
        Index best = y0 * w + x0;
        for (Index iy = y0; iy < y1; ++iy)
          for (Index ix = x0; ix < x1; ++ix)
            if (src[iy * w + ix] > src[best]) best = iy * w + ix;
        dst[best] += g[y * w_out + x];
      }
    }
  }
  train_input_ = Tensor();
  has_train_input_ = false;
  return grad_input;
}

Tensor AvgPool2d::forward_train(Tensor input) {
  in_height_ = input.height();
  in_width_ = input.width();
  return forward(std::move(input));
}

Tensor AvgPool2d::backward(Tensor grad_output) {
  PCMKIT_CHECK(in_height_ >= 0, "AvgPool2d::backward without forward_train");
  const Index h = in_height_, w = in_width_, k = kernel_, s = stride_;
  const Index h_out = (h - k) / s + 1, w_out = (w - k) / s + 1;
  PCMKIT_CHECK(grad_output.height() == h_out && grad_output.width() == w_out,
               "AvgPool2d::backward: gradient " + grad_output.shape_text() + " does not fit");
  const Index planes = grad_output.n() * grad_output.channels();
  const float divisor = static_cast<float>(k * k);  // divided, as PyTorch, not multiplied
  Tensor grad_input(grad_output.n(), grad_output.channels(), h, w);
#pragma omp parallel for schedule(static)
  for (Index q = 0; q < planes; ++q) {
    const float* g = grad_output.data() + q * h_out * w_out;
    float* dst = grad_input.data() + q * h * w;
    for (Index y = 0; y < h_out; ++y)
      for (Index x = 0; x < w_out; ++x) {
        const float share = g[y * w_out + x] / divisor;
        for (Index iy = y * s; iy < y * s + k; ++iy)
          for (Index ix = x * s; ix < x * s + k; ++ix) dst[iy * w + ix] += share;
      }
  }
  in_height_ = -1;
  return grad_input;
}

Tensor GlobalAvgPool2d::forward_train(Tensor input) {
  in_height_ = input.height();
  in_width_ = input.width();
  return forward(std::move(input));
}

Tensor GlobalAvgPool2d::backward(Tensor grad_output) {
  PCMKIT_CHECK(in_height_ >= 0, "GlobalAvgPool2d::backward without forward_train");
  PCMKIT_CHECK(grad_output.height() == 1 && grad_output.width() == 1,
               "GlobalAvgPool2d::backward: gradient " + grad_output.shape_text() + " does not fit");
  const Index planes = grad_output.n() * grad_output.channels(), area = in_height_ * in_width_;
  const float divisor = static_cast<float>(area);  // divided, as PyTorch
  Tensor grad_input =
      Tensor::uninitialized(grad_output.n(), grad_output.channels(), in_height_, in_width_);
#pragma omp parallel for schedule(static)
  for (Index q = 0; q < planes; ++q)
    std::fill_n(grad_input.data() + q * area, area, grad_output.data()[q] / divisor);
  in_height_ = -1;
  return grad_input;
}

}  // namespace pcmkit::nn
