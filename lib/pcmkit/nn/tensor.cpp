#include "pcmkit/nn/tensor.h"

#include "pcmkit/core/error.h"

namespace pcmkit::nn {

Tensor::Tensor(Index n, Index channels, Index height, Index width)
    : n_(n), c_(channels), h_(height), w_(width) {
  PCMKIT_CHECK(n >= 0 && channels >= 0 && height >= 0 && width >= 0, "Tensor: negative size");
  data_.setZero(n * channels * height * width);
}

std::string Tensor::shape_text() const {
  return "[" + std::to_string(n_) + ", " + std::to_string(c_) + ", " + std::to_string(h_) + ", " +
         std::to_string(w_) + "]";
}

}  // namespace pcmkit::nn
