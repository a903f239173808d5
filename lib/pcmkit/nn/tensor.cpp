#include "pcmkit/nn/tensor.h"

#include "pcmkit/core/error.h"

namespace pcmkit::nn {

Tensor::Tensor(Index n, Index channels, Index height, Index width)
    : n_(n), c_(channels), h_(height), w_(width) {
  PCMKIT_CHECK(n >= 0 && channels >= 0 && height >= 0 && width >= 0, "Tensor: negative size");
  data_.setZero(n * channels * height * width);
}

Tensor Tensor::uninitialized(Index n, Index channels, Index height, Index width) {
  PCMKIT_CHECK(n >= 0 && channels >= 0 && height >= 0 && width >= 0, "Tensor: negative size");
  Tensor t;
  t.n_ = n;
  t.c_ = channels;
  t.h_ = height;
  t.w_ = width;
  t.data_.resize(n * channels * height * width);
  return t;
}

std::string Tensor::shape_text() const {
  return "[" + std::to_string(n_) + ", " + std::to_string(c_) + ", " + std::to_string(h_) + ", " +
         std::to_string(w_) + "]";
}

}  // namespace pcmkit::nn
