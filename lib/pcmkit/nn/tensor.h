// A batch of images as a dense NCHW float tensor (PyTorch's memory layout), and the row-major
// float matrix the layers compute with. A value type: copies are deep, moves are cheap.
#pragma once

#include <Eigen/Core>
#include <string>
#include <utility>

namespace pcmkit::nn {

using Index = Eigen::Index;
// Row-major, so that a PyTorch weight [out, in, kh, kw] is the matrix out × (in·kh·kw) with the
// same bytes, and one image of a tensor is the matrix channels × (h·w).
using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class Tensor {
 public:
  Tensor() = default;
  // A zero-filled tensor. Requires: every size ≥ 0 (PCMKIT_CHECK).
  Tensor(Index n, Index channels, Index height, Index width);
  // A tensor whose values are left unset, for outputs that are about to be overwritten.
  static Tensor uninitialized(Index n, Index channels, Index height, Index width);
  Tensor(const Tensor&) = default;
  Tensor& operator=(const Tensor&) = default;
  // A moved-from tensor is empty, [0, 0, 0, 0].
  Tensor(Tensor&& other) noexcept { swap(other); }
  Tensor& operator=(Tensor&& other) noexcept {
    Tensor moved;
    moved.swap(other);
    swap(moved);
    return *this;
  }
  void swap(Tensor& other) noexcept {
    std::swap(n_, other.n_);
    std::swap(c_, other.c_);
    std::swap(h_, other.h_);
    std::swap(w_, other.w_);
    data_.swap(other.data_);
  }

  Index n() const { return n_; }
  Index channels() const { return c_; }
  Index height() const { return h_; }
  Index width() const { return w_; }
  Index plane_size() const { return h_ * w_; }
  Index image_size() const { return c_ * h_ * w_; }
  Index size() const { return data_.size(); }
  bool same_shape(const Tensor& other) const {
    return n_ == other.n_ && c_ == other.c_ && h_ == other.h_ && w_ == other.w_;
  }
  std::string shape_text() const;  // "[n, c, h, w]"

  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }
  // Element (image, channel, y, x); no bounds check outside debug builds.
  float& operator()(Index i, Index c, Index y, Index x) {
    return data_[((i * c_ + c) * h_ + y) * w_ + x];
  }
  float operator()(Index i, Index c, Index y, Index x) const {
    return data_[((i * c_ + c) * h_ + y) * w_ + x];
  }
  // Image i as the matrix channels × (height·width); the map refers into this tensor.
  Eigen::Map<RowMatrixXf> image(Index i) {
    return Eigen::Map<RowMatrixXf>(data() + i * image_size(), c_, h_ * w_);
  }
  Eigen::Map<const RowMatrixXf> image(Index i) const {
    return Eigen::Map<const RowMatrixXf>(data() + i * image_size(), c_, h_ * w_);
  }
  // The whole batch as the matrix n × (channels·height·width).
  Eigen::Map<RowMatrixXf> rows() { return Eigen::Map<RowMatrixXf>(data(), n_, image_size()); }
  Eigen::Map<const RowMatrixXf> rows() const {
    return Eigen::Map<const RowMatrixXf>(data(), n_, image_size());
  }
  Eigen::VectorXf& values() { return data_; }
  const Eigen::VectorXf& values() const { return data_; }

 private:
  Index n_ = 0, c_ = 0, h_ = 0, w_ = 0;
  Eigen::VectorXf data_;
};

// sum += addend, value by value. Requires: same shape (PCMKIT_CHECK). Threads: OpenMP over values
// (each value's result is independent of the thread count).
void add_in_place(Tensor& sum, const Tensor& addend);
// A copy of `source` made by all threads (the copy constructor is one thread's memcpy, which
// in a training step leaves the other threads waiting). Threads: OpenMP over blocks.
Tensor parallel_copy(const Tensor& source);

}  // namespace pcmkit::nn
