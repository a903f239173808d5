// Softmax cross-entropy with label smoothing against hand-computed values.
#include "pcmkit/nn/loss.h"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "pcmkit/core/error.h"

namespace pcmkit::nn {
namespace {

TEST_CASE("Cross-entropy of equal logits is log K, with gradient (1/K − onehot)/n") {
  const RowMatrixXf logits = RowMatrixXf::Constant(2, 4, 3.0f);
  const std::vector<int> labels{1, 3};
  const CrossEntropyResult r = softmax_cross_entropy(logits, labels);
  CHECK(r.loss == doctest::Approx(std::log(4.0)).epsilon(1e-12));
  for (Index i = 0; i < 2; ++i)
    for (Index k = 0; k < 4; ++k)
      CHECK(r.dlogits(i, k) ==
            doctest::Approx((0.25 - (k == labels[i] ? 1.0 : 0.0)) / 2.0).epsilon(1e-7));
  // Ties count the first class as the prediction (torch.argmax).
  CHECK(r.num_correct == 0);
  CHECK(softmax_cross_entropy(logits, std::vector<int>{0, 0}).num_correct == 2);
}

TEST_CASE("Label smoothing follows PyTorch's definition") {
  // p = softmax(0, ln 2, 0) = (1/4, 1/2, 1/4), label 1. ε = 0.3: q = (0.1, 0.8, 0.1), so
  // loss = 0.2·ln 4 + 0.8·ln 2 = 1.2·ln 2 and dL/dz = p − q = (0.15, −0.3, 0.15).
  RowMatrixXf logits(1, 3);
  logits << 0.0f, static_cast<float>(std::log(2.0)), 0.0f;
  const std::vector<int> label{1};
  const CrossEntropyResult plain = softmax_cross_entropy(logits, label, 0.0);
  CHECK(plain.loss == doctest::Approx(std::log(2.0)).epsilon(1e-7));
  const CrossEntropyResult smooth = softmax_cross_entropy(logits, label, 0.3);
  CHECK(smooth.loss == doctest::Approx(1.2 * std::log(2.0)).epsilon(1e-7));
  CHECK(smooth.dlogits(0, 0) == doctest::Approx(0.15).epsilon(1e-6));
  CHECK(smooth.dlogits(0, 1) == doctest::Approx(-0.3).epsilon(1e-6));
  CHECK(smooth.dlogits(0, 2) == doctest::Approx(0.15).epsilon(1e-6));
  CHECK(smooth.num_correct == 1);
}

TEST_CASE("Cross-entropy is stable for large logits") {
  RowMatrixXf logits(1, 2);
  logits << 1000.0f, 0.0f;
  const CrossEntropyResult r = softmax_cross_entropy(logits, std::vector<int>{1});
  CHECK(r.loss == doctest::Approx(1000.0));
  CHECK(r.dlogits(0, 0) == doctest::Approx(1.0));
  CHECK(r.dlogits(0, 1) == doctest::Approx(-1.0));
}

TEST_CASE("Cross-entropy rejects bad labels, sizes and smoothing") {
  const RowMatrixXf logits = RowMatrixXf::Zero(2, 3);
  CHECK_THROWS_AS(softmax_cross_entropy(logits, std::vector<int>{0}), InternalError);
  CHECK_THROWS_AS(softmax_cross_entropy(logits, std::vector<int>{0, 3}), InternalError);
  CHECK_THROWS_AS(softmax_cross_entropy(logits, std::vector<int>{0, -1}), InternalError);
  CHECK_THROWS_AS(softmax_cross_entropy(logits, std::vector<int>{0, 1}, 1.5), InternalError);
  RowMatrixXf bad = logits;
  bad(0, 0) = NAN;
  CHECK_THROWS_AS(softmax_cross_entropy(bad, std::vector<int>{0, 1}), InternalError);
}

}  // namespace
}  // namespace pcmkit::nn
