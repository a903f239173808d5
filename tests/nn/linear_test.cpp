// Linear against the naive sum b + Σ W·x, on a flattened input.
#include "pcmkit/nn/linear.h"

#include <doctest/doctest.h>

#include <cmath>

#include "nn_test_support.h"
#include "pcmkit/core/error.h"

namespace pcmkit::nn {
namespace {

// fp32 sums of ≤ 65 terms: error below 65·2⁻²⁴·Σ|w·x| < 4e-6·Σ|w·x|; budget 1e-5 of Σ|w·x|.
constexpr double kLinearRelTolerance = 1e-5;

TEST_CASE("Linear matches the naive product on a flattened input and uses its effective weight") {
  Linear linear(4 * 2 * 2, 10);
  linear.master_weight() = testing::random_matrix(10, 16, 1);
  linear.bias() = testing::random_matrix(10, 1, 2);
  const Tensor input = testing::random_tensor(5, 4, 2, 2, 3);
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) linear.set_effective_weight(testing::random_matrix(10, 16, 4));
    const RowMatrixXf& w = linear.forward_weight();
    const Tensor out = linear.forward(input);
    REQUIRE(out.n() == 5);
    REQUIRE(out.channels() == 10);
    double worst = 0.0;
    for (Index i = 0; i < 5; ++i)
      for (Index o = 0; o < 10; ++o) {
        double sum = linear.bias()[o], magnitude = std::abs(sum);
        for (Index j = 0; j < 16; ++j) {
          sum += double(w(o, j)) * input.data()[i * 16 + j];
          magnitude += std::abs(double(w(o, j)) * input.data()[i * 16 + j]);
        }
        worst = std::max(worst, std::abs(out(i, o, 0, 0) - sum) / magnitude);
      }
    CHECK(worst < kLinearRelTolerance);
  }
  std::vector<ParameterRef> params;
  linear.collect_parameters("fc", params);
  REQUIRE(params.size() == 2);
  CHECK(params[0].name == "fc.weight");
  CHECK(params[0].shape == std::vector<Index>{10, 16});
  CHECK(params[1].name == "fc.bias");
  CHECK_THROWS_AS(linear.forward(Tensor(1, 3, 2, 2)), InternalError);
}

}  // namespace
}  // namespace pcmkit::nn
