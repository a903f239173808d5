// BatchNorm2d (folded scale/shift) against PyTorch's eval formula γ(x − μ)/sqrt(σ² + ε) + β.
#include "pcmkit/nn/batch_norm2d.h"

#include <doctest/doctest.h>

#include <cmath>

#include "nn_test_support.h"
#include "pcmkit/core/error.h"

namespace pcmkit::nn {
namespace {

// Folding reorders two float roundings; with |x|, |μ| ≤ 1 and scale ≤ ~2 the difference is a
// few ulp of values ≤ ~5: 1e-5 absolute is ~20 ulp.
constexpr double kFoldTolerance = 1e-5;

TEST_CASE("BatchNorm2d folds running statistics into scale and shift as PyTorch's eval formula") {
  const Index c = 5;
  BatchNorm2d bn(c);
  bn.weight() = testing::random_matrix(c, 1, 1);
  bn.bias() = testing::random_matrix(c, 1, 2);
  bn.running_mean() = testing::random_matrix(c, 1, 3);
  bn.running_var() = testing::random_matrix(c, 1, 4).array().abs() + 0.25f;
  bn.running_var()[0] = 0.0f;  // boundary: σ² = 0 leaves only ε
  bn.refresh();
  const Tensor input = testing::random_tensor(3, c, 4, 3, 5);
  const Tensor output = bn.forward(input);
  REQUIRE(output.same_shape(input));
  double worst = 0.0;
  for (Index i = 0; i < 3; ++i)
    for (Index ch = 0; ch < c; ++ch)
      for (Index y = 0; y < 4; ++y)
        for (Index x = 0; x < 3; ++x) {
          const double want = bn.weight()[ch] * (input(i, ch, y, x) - bn.running_mean()[ch]) /
                                  std::sqrt(double(bn.running_var()[ch]) + 1e-5) +
                              bn.bias()[ch];
          worst = std::max(worst, std::abs(output(i, ch, y, x) - want));
        }
  CHECK(worst < kFoldTolerance);
}

TEST_CASE("BatchNorm2d starts at the identity and needs refresh() after a change") {
  BatchNorm2d bn(2);
  const Tensor input = testing::random_tensor(1, 2, 2, 2, 7);
  const Tensor same = bn.forward(input);
  for (Index k = 0; k < input.size(); ++k)
    CHECK(same.data()[k] == doctest::Approx(input.data()[k]).epsilon(1e-5));
  bn.bias().setConstant(3.0f);
  bn.refresh();
  CHECK(bn.shift()[0] == doctest::Approx(3.0));
}

TEST_CASE("BatchNorm2d names parameters and buffers as PyTorch") {
  BatchNorm2d bn(4);
  std::vector<ParameterRef> params;
  bn.collect_parameters("layer1.0.bn1", params);
  REQUIRE(params.size() == 4);
  CHECK(params[0].name == "layer1.0.bn1.weight");
  CHECK(params[1].name == "layer1.0.bn1.bias");
  CHECK(params[2].name == "layer1.0.bn1.running_mean");
  CHECK(params[3].name == "layer1.0.bn1.running_var");
  CHECK(params[0].trainable);
  CHECK_FALSE(params[3].trainable);
  CHECK_THROWS_AS(bn.forward(Tensor(1, 3, 2, 2)), InternalError);
}

}  // namespace
}  // namespace pcmkit::nn
