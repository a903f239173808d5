#include "pcmkit/nn/activation.h"

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

}  // namespace pcmkit::nn
