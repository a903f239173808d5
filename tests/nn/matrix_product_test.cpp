// The matrix-product hook of analog layers: Conv2d and Linear hand it the im2col columns or the
// samples (one input vector per column) and use what it writes; without it they are unchanged
// bit for bit.
#include "pcmkit/nn/matrix_product.h"

#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <memory>

#include "nn_test_support.h"
#include "pcmkit/nn/conv2d.h"
#include "pcmkit/nn/linear.h"

namespace pcmkit::nn {
namespace {

// weight · inputs with every product negated and doubled, counting the columns it was given: a
// result no plain GEMM produces, so the test sees that the layer used it.
class DoubledNegated final : public MatrixProduct {
 public:
  void multiply(const Eigen::Ref<const RowMatrixXf>& weight,
                const Eigen::Ref<const RowMatrixXf>& inputs,
                Eigen::Ref<RowMatrixXf> outputs) const override {
    REQUIRE(inputs.rows() == weight.cols());
    outputs.noalias() = -2.0f * (weight * inputs);
    columns += inputs.cols();
  }
  mutable std::atomic<Index> columns{0};
};

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.same_shape(b) && std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
}

// Products of K ≤ 72 terms in [-1, 1] computed in a different order: |error| ≤ K·2⁻²⁴·K.
constexpr float kTolerance = 1e-4f;

}  // namespace

TEST_CASE("Conv2d computes its product with the unit when set, and bit for bit as before without") {
  Conv2d conv(8, 6, 3, 2, 1, true);
  conv.master_weight() = testing::random_matrix(6, 72, 31);
  conv.bias() = Eigen::VectorXf::LinSpaced(6, -1.0f, 1.0f);
  const Tensor input = testing::random_tensor(5, 8, 9, 9, 32);
  const Tensor before = conv.forward(input);
  CHECK(conv.matrix_product() == nullptr);

  auto unit = std::make_shared<DoubledNegated>();
  conv.set_matrix_product(unit);
  CHECK(conv.matrix_product() == unit.get());
  const Tensor with_unit = conv.forward(input);
  CHECK(unit->columns == 5 * 5 * 5);  // one column per image and output pixel
  for (Index i = 0; i < input.n(); ++i)
    for (Index o = 0; o < 6; ++o)
      for (Index y = 0; y < 5; ++y)
        for (Index x = 0; x < 5; ++x) {
          const float product = before(i, o, y, x) - conv.bias()[o];
          CHECK(std::abs(with_unit(i, o, y, x) - (conv.bias()[o] - 2.0f * product)) < kTolerance);
        }

  conv.clear_matrix_product();
  CHECK(same_bits(conv.forward(input), before));
}

TEST_CASE("Linear computes its product with the unit when set, and bit for bit as before without") {
  Linear linear(12, 4);
  linear.master_weight() = testing::random_matrix(4, 12, 33);
  linear.bias() = Eigen::VectorXf::LinSpaced(4, -1.0f, 1.0f);
  const Tensor input = testing::random_tensor(7, 3, 2, 2, 34);
  const Tensor before = linear.forward(input);

  auto unit = std::make_shared<DoubledNegated>();
  linear.set_matrix_product(unit);
  const Tensor with_unit = linear.forward(input);
  CHECK(unit->columns == 7);  // one column per sample
  for (Index i = 0; i < 7; ++i)
    for (Index o = 0; o < 4; ++o) {
      const float product = before(i, o, 0, 0) - linear.bias()[o];
      CHECK(std::abs(with_unit(i, o, 0, 0) - (linear.bias()[o] - 2.0f * product)) < kTolerance);
    }

  linear.clear_matrix_product();
  CHECK(same_bits(linear.forward(input), before));
}

}  // namespace pcmkit::nn
