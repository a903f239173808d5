#include "pcmkit/nn/activation.h"

#include "pcmkit/core/error.h"

namespace pcmkit::nn {

Tensor ReLU::forward(Tensor input) {
  const Index n = input.n();
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i) {
    Eigen::Map<RowMatrixXf> image = input.image(i);
    image = image.cwiseMax(0.0f);
  }
  return input;
}

namespace {

// out = max(x (+ a), 0) in place, positive = out > 0; without `a` when it is null.
void relu_with_mask(float* x, const float* a, std::uint8_t* positive, Index size) {
  if (a) {
#pragma omp parallel for simd schedule(static)
    for (Index k = 0; k < size; ++k) {
      const float value = x[k] + a[k];
      positive[k] = value > 0.0f;
      x[k] = value > 0.0f ? value : 0.0f;
    }
  } else {
#pragma omp parallel for simd schedule(static)
    for (Index k = 0; k < size; ++k) {
      positive[k] = x[k] > 0.0f;
      x[k] = x[k] > 0.0f ? x[k] : 0.0f;
    }
  }
}

}  // namespace

Tensor ReLU::forward_train(Tensor input) {
  positive_.resize(static_cast<std::size_t>(input.size()));
  shape_ = {input.n(), input.channels(), input.height(), input.width()};
  relu_with_mask(input.data(), nullptr, positive_.data(), input.size());
  has_train_cache_ = true;
  return input;
}

Tensor ReLU::forward_train_after_add(Tensor input, const Tensor& addend) {
  PCMKIT_CHECK(addend.same_shape(input),
               "ReLU: addend " + addend.shape_text() + " for an input " + input.shape_text());
  positive_.resize(static_cast<std::size_t>(input.size()));
  shape_ = {input.n(), input.channels(), input.height(), input.width()};
  relu_with_mask(input.data(), addend.data(), positive_.data(), input.size());
  has_train_cache_ = true;
  return input;
}

Tensor ReLU::backward(Tensor grad_output) {
  PCMKIT_CHECK(has_train_cache_, "ReLU::backward without forward_train");
  const std::array<Index, 4> shape{grad_output.n(), grad_output.channels(), grad_output.height(),
                                   grad_output.width()};
  PCMKIT_CHECK(shape == shape_, "ReLU::backward: gradient " + grad_output.shape_text() +
                                    " for an output of another shape");
  const Index size = grad_output.size();
  float* g = grad_output.data();
  const std::uint8_t* positive = positive_.data();
#pragma omp parallel for simd schedule(static)
  for (Index k = 0; k < size; ++k) g[k] = positive[k] ? g[k] : 0.0f;
  has_train_cache_ = false;
  return grad_output;
}

}  // namespace pcmkit::nn
