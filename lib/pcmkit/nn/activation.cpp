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

Tensor ReLU::forward_train(Tensor input) {
  output_ = forward(std::move(input));
  has_train_cache_ = true;
  return output_;
}

Tensor ReLU::backward(Tensor grad_output) {
  PCMKIT_CHECK(has_train_cache_, "ReLU::backward without forward_train");
  PCMKIT_CHECK(grad_output.same_shape(output_), "ReLU::backward: gradient " +
                                                    grad_output.shape_text() + " for an output " +
                                                    output_.shape_text());
  const Index n = grad_output.n();
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i) {
    Eigen::Map<RowMatrixXf> g = grad_output.image(i);
    g = (output_.image(i).array() > 0.0f).select(g, 0.0f);
  }
  output_ = Tensor();
  has_train_cache_ = false;
  return grad_output;
}

}  // namespace pcmkit::nn
