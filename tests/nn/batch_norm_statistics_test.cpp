// BatchNorm2d's statistics mode (AdaBS) against a naive computation of PyTorch's training mode
// with momentum=None: normalise with the batch's biased variance, running statistics = the
// average over batches of the batch mean and unbiased variance.
#include <doctest/doctest.h>

#include <cmath>

#include "nn_test_support.h"
#include "pcmkit/nn/batch_norm2d.h"

using namespace pcmkit::nn;

TEST_CASE("statistics mode: batch-normalised output and averaged running statistics") {
  BatchNorm2d bn(3);
  bn.weight() << 1.5f, 0.5f, 2.0f;
  bn.bias() << 0.1f, -0.2f, 0.0f;
  bn.refresh();
  const Tensor a = testing::random_tensor(4, 3, 5, 5, 1), b = testing::random_tensor(2, 3, 5, 5, 2);
  bn.begin_statistics();
  CHECK(bn.in_statistics_mode());
  const Tensor out_a = bn.forward(a);
  bn.forward(b);
  bn.end_statistics();
  CHECK_FALSE(bn.in_statistics_mode());

  auto stats = [](const Tensor& t, Index c, double& mean, double& biased, double& unbiased) {
    double sum = 0, ss = 0;
    const double count = static_cast<double>(t.n() * t.plane_size());
    for (Index i = 0; i < t.n(); ++i)
      for (Index y = 0; y < t.height(); ++y)
        for (Index x = 0; x < t.width(); ++x) sum += t(i, c, y, x);
    mean = sum / count;
    for (Index i = 0; i < t.n(); ++i)
      for (Index y = 0; y < t.height(); ++y)
        for (Index x = 0; x < t.width(); ++x) ss += std::pow(t(i, c, y, x) - mean, 2);
    biased = ss / count;
    unbiased = ss / (count - 1);
  };
  for (Index c = 0; c < 3; ++c) {
    double ma, va, ua, mb, vb, ub;
    stats(a, c, ma, va, ua);
    stats(b, c, mb, vb, ub);
    // float storage of the averages: relative 1e-6.
    CHECK(bn.running_mean()[c] == doctest::Approx((ma + mb) / 2).epsilon(1e-6));
    CHECK(bn.running_var()[c] == doctest::Approx((ua + ub) / 2).epsilon(1e-6));
    const double expected =
        bn.weight()[c] * (a(1, c, 2, 3) - ma) / std::sqrt(va + 1e-5) + bn.bias()[c];
    CHECK(out_a(1, c, 2, 3) == doctest::Approx(expected).epsilon(1e-5));
  }
  // After end_statistics, forward uses the new running statistics (evaluation mode).
  const Tensor again = bn.forward(a);
  const double expected = bn.weight()[0] * (a(0, 0, 0, 0) - bn.running_mean()[0]) /
                              std::sqrt(bn.running_var()[0] + 1e-5) +
                          bn.bias()[0];
  CHECK(again(0, 0, 0, 0) == doctest::Approx(expected).epsilon(1e-5));
}

TEST_CASE("end_statistics without batches keeps the statistics") {
  BatchNorm2d bn(2);
  bn.running_mean() << 0.3f, -0.1f;
  bn.begin_statistics();
  bn.end_statistics();
  CHECK(bn.running_mean()[0] == 0.3f);
  CHECK(bn.running_var()[1] == 1.0f);
}
