#include "pcmkit/nn/tensor.h"

#include <algorithm>

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

void add_in_place(Tensor& sum, const Tensor& addend) {
  PCMKIT_CHECK(sum.same_shape(addend),
               "add_in_place: " + sum.shape_text() + " + " + addend.shape_text());
  const Index size = sum.size();
  float* s = sum.data();
  const float* a = addend.data();
#pragma omp parallel for simd schedule(static)
  for (Index k = 0; k < size; ++k) s[k] += a[k];
}

Tensor parallel_copy(const Tensor& source) {
  Tensor copy =
      Tensor::uninitialized(source.n(), source.channels(), source.height(), source.width());
  const Index size = source.size();
  constexpr Index kBlock = Index{1} << 14;  // 64 KB
#pragma omp parallel for schedule(static)
  for (Index k0 = 0; k0 < size; k0 += kBlock)
    std::copy(source.data() + k0, source.data() + std::min(size, k0 + kBlock), copy.data() + k0);
  return copy;
}

}  // namespace pcmkit::nn
