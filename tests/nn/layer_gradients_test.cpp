// Backward passes of BatchNorm2d (training mode, batch or frozen statistics), ReLU, Linear, the
// pools, ShortcutA and BasicBlock (identity, A and B shortcuts), against finite differences
// (gradient_check.h); and BatchNorm2d's training statistics against their definition.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "gradient_check.h"
#include "pcmkit/core/error.h"
#include "pcmkit/nn/activation.h"
#include "pcmkit/nn/basic_block.h"
#include "pcmkit/nn/batch_norm2d.h"
#include "pcmkit/nn/linear.h"
#include "pcmkit/nn/pooling.h"
#include "pcmkit/nn/shortcut_a.h"

namespace pcmkit::nn {
namespace {

using testing::check_gradients;
using testing::random_matrix;
using testing::random_tensor;
using testing::random_tensor_away_from_zero;

void randomize_module(Module& module, unsigned seed) {
  std::vector<ParameterRef> params;
  module.collect_parameters("", params);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (ParameterRef& p : params) {
    float scale = 1.0f;
    if (p.shape.size() >= 2) {
      Index fan_in = 1;
      for (std::size_t d = 1; d < p.shape.size(); ++d) fan_in *= p.shape[d];
      scale = 1.0f / std::sqrt(static_cast<float>(fan_in));
    }
    const bool var = p.name.ends_with("running_var"), gamma = p.name.ends_with("bn1.weight") ||
                                                              p.name.ends_with("bn2.weight") ||
                                                              p.name == "weight";
    for (float& v : p.values) v = var || gamma ? 1.0f + 0.5f * u(rng) : scale * u(rng);
  }
  module.refresh();
}

TEST_CASE("BatchNorm2d training backward matches finite differences") {
  BatchNorm2d bn(3);
  randomize_module(bn, 1);
  // 2 images of 3×4: 24 values per channel, so that the batch statistics move with each input.
  check_gradients(bn, random_tensor(2, 3, 3, 4, 2), 3);
}

// BatchNorm2d's fused training pass with a ReLU, as a module for check_gradients.
struct BatchNormReLU : Module {
  BatchNorm2d bn{3};
  Tensor forward(Tensor x) override { return ReLU().forward(bn.forward(std::move(x))); }
  Tensor forward_train(Tensor x) override { return bn.forward_train_relu(std::move(x)); }
  Tensor backward(Tensor g) override { return bn.backward(std::move(g)); }
  void collect_parameters(const std::string& prefix, std::vector<ParameterRef>& out) override {
    bn.collect_parameters(prefix, out);
  }
};

TEST_CASE("BatchNorm2d with a fused ReLU: max(forward_train, 0) and its gradient") {
  BatchNormReLU fused;
  randomize_module(fused.bn, 4);
  BatchNorm2d plain(3);
  randomize_module(plain, 4);
  const Tensor x = random_tensor(2, 3, 3, 4, 5);
  const Tensor y = fused.forward_train(x), expected = ReLU().forward(plain.forward_train(x));
  Index clamped = 0;
  for (Index k = 0; k < y.size(); ++k) {
    CHECK(y.data()[k] == expected.data()[k]);
    clamped += y.data()[k] == 0.0f;
  }
  CHECK(clamped > 0);  // the ReLU matters for this input
  fused.bn.backward(y);
  check_gradients(fused, x, 6);
}

TEST_CASE("BatchNorm2d training normalises with batch statistics and updates the running ones") {
  BatchNorm2d bn(2);
  bn.weight() << 2.0f, 0.5f;
  bn.bias() << 1.0f, -1.0f;
  bn.running_mean() << 0.5f, -0.5f;
  bn.running_var() << 2.0f, 1.0f;
  const Tensor x = random_tensor(3, 2, 2, 3, 4);
  const Tensor y = bn.forward_train(x);
  for (Index c = 0; c < 2; ++c) {
    double sum = 0, sum_sq = 0;
    const double m = 3 * 2 * 3;
    for (Index i = 0; i < 3; ++i)
      for (Index k = 0; k < 6; ++k) sum += x.data()[(i * 2 + c) * 6 + k];
    const double mean = sum / m;
    for (Index i = 0; i < 3; ++i)
      for (Index k = 0; k < 6; ++k) sum_sq += std::pow(x.data()[(i * 2 + c) * 6 + k] - mean, 2);
    const double gamma = c == 0 ? 2.0 : 0.5, beta = c == 0 ? 1.0 : -1.0;
    for (Index i = 0; i < 3; ++i)
      for (Index k = 0; k < 6; ++k) {
        const double expected =
            gamma * (x.data()[(i * 2 + c) * 6 + k] - mean) / std::sqrt(sum_sq / m + 1e-5) + beta;
        CHECK(y.data()[(i * 2 + c) * 6 + k] == doctest::Approx(expected).epsilon(1e-5));
      }
    // PyTorch: momentum 0.1 and the unbiased batch variance.
    const double old_mean = c == 0 ? 0.5 : -0.5, old_var = c == 0 ? 2.0 : 1.0;
    CHECK(bn.running_mean()[c] == doctest::Approx(0.9 * old_mean + 0.1 * mean).epsilon(1e-6));
    CHECK(bn.running_var()[c] ==
          doctest::Approx(0.9 * old_var + 0.1 * sum_sq / (m - 1)).epsilon(1e-6));
  }
  // forward() then uses the updated running statistics.
  const Tensor eval = bn.forward(x);
  const float scale0 = 2.0f / std::sqrt(bn.running_var()[0] + 1e-5f);
  CHECK(eval(0, 0, 0, 0) ==
        doctest::Approx(scale0 * (x(0, 0, 0, 0) - bn.running_mean()[0]) + 1.0f).epsilon(1e-5));
  bn.backward(y);
  CHECK_THROWS_AS(bn.backward(y), InternalError);  // the cache is released
}

TEST_CASE("BatchNorm2d with frozen statistics trains as the evaluation pass and keeps them") {
  BatchNorm2d bn(3);
  randomize_module(bn, 7);
  bn.set_frozen_statistics(true);
  const Eigen::VectorXf mean = bn.running_mean(), var = bn.running_var();
  const Tensor x = random_tensor(2, 3, 3, 4, 8);
  const Tensor y = bn.forward_train(x), eval = bn.forward(x);
  for (Index k = 0; k < y.size(); ++k)
    CHECK(y.data()[k] == doctest::Approx(eval.data()[k]).epsilon(1e-5));
  CHECK(bn.running_mean() == mean);
  CHECK(bn.running_var() == var);
  bn.backward(y);
  // The gradient no longer flows through batch statistics: dx = γ/sqrt(σ² + ε)·g exactly (to
  // float rounding) and matches finite differences, which would fail on the batch formula.
  const Tensor g = random_tensor(2, 3, 3, 4, 9);
  bn.forward_train(x);
  const Tensor dx = bn.backward(g);
  for (Index c = 0; c < 3; ++c) {
    const double factor = bn.weight()[c] / std::sqrt(static_cast<double>(var[c]) + 1e-5);
    CHECK(dx(1, c, 2, 3) == doctest::Approx(factor * g(1, c, 2, 3)).epsilon(1e-5));
  }
  check_gradients(bn, x, 10);
  BatchNormReLU fused;
  randomize_module(fused.bn, 11);
  fused.bn.set_frozen_statistics(true);
  check_gradients(fused, x, 12);
  // Unfrozen again, it is the batch-statistics pass (running statistics move).
  bn.set_frozen_statistics(false);
  bn.forward_train(x);
  CHECK(bn.running_mean() != mean);
}

TEST_CASE("ReLU backward passes the gradient where the output is positive") {
  ReLU relu;
  check_gradients(relu, random_tensor_away_from_zero(2, 3, 3, 3, 5), 6);
}

TEST_CASE("ReLU after an add: max(x + a, 0), gradient where the sum is positive") {
  const Tensor x = random_tensor_away_from_zero(2, 3, 2, 3, 7);
  const Tensor a = random_tensor(2, 3, 2, 3, 8);
  ReLU relu;
  const Tensor y = relu.forward_train_after_add(x, a);
  Tensor g = random_tensor(2, 3, 2, 3, 9);
  const Tensor dx = relu.backward(g);
  Index positive = 0;
  for (Index k = 0; k < y.size(); ++k) {
    const float sum = x.data()[k] + a.data()[k];
    CHECK(y.data()[k] == std::max(sum, 0.0f));
    CHECK(dx.data()[k] == (sum > 0.0f ? g.data()[k] : 0.0f));
    positive += sum > 0.0f;
  }
  CHECK(positive > 0);
  CHECK(positive < y.size());
  CHECK_THROWS_AS(relu.forward_train_after_add(x, random_tensor(1, 3, 2, 3, 1)), InternalError);
}

TEST_CASE("Linear backward matches finite differences, with and without bias") {
  for (bool bias : {true, false}) {
    Linear linear(12, 5, bias);
    linear.master_weight() = random_matrix(5, 12, 7);
    if (bias) linear.bias() = random_matrix(5, 1, 8);
    check_gradients(linear, random_tensor(3, 3, 2, 2, 9), 10);
  }
}

TEST_CASE("Linear with an effective weight: dL/dx uses it, dW goes to the master") {
  Linear noisy(6, 4), reference(6, 4);
  noisy.master_weight() = random_matrix(4, 6, 1);
  const RowMatrixXf effective = noisy.master_weight() + 0.2f * random_matrix(4, 6, 2);
  noisy.set_effective_weight(effective);
  reference.master_weight() = effective;
  const Tensor x = random_tensor(3, 6, 1, 1, 3), r = random_tensor(3, 4, 1, 1, 4);
  CHECK(noisy.forward_train(x).values() == reference.forward_train(x).values());
  CHECK(noisy.backward(r).values() == reference.backward(r).values());
  CHECK(noisy.master_weight_grad() == reference.master_weight_grad());
  CHECK(noisy.bias_grad() == reference.bias_grad());
}

TEST_CASE("Pooling backward matches finite differences") {
  SUBCASE("max 3×3/2 pad 1 (torchvision stem)") {
    MaxPool2d pool(3, 2, 1);
    // Random values: no ties (a near-tie within the step passes at a smaller step).
    check_gradients(pool, random_tensor(2, 2, 7, 6, 11), 12);
  }
  SUBCASE("average 2×2/2") {
    AvgPool2d pool(2, 2);
    check_gradients(pool, random_tensor(2, 3, 5, 4, 13), 14);
  }
  SUBCASE("average 3×3/1") {
    AvgPool2d pool(3, 1);
    check_gradients(pool, random_tensor(2, 2, 5, 5, 15), 16);
  }
  SUBCASE("global") {
    GlobalAvgPool2d pool;
    check_gradients(pool, random_tensor(2, 3, 3, 5, 17), 18);
  }
}

TEST_CASE("ShortcutA backward matches finite differences (odd and even sides)") {
  ShortcutA shortcut(8);  // 4 → 8 channels: 2 zero channels on each side
  check_gradients(shortcut, random_tensor(2, 4, 5, 4, 19), 20);
}

TEST_CASE("BasicBlock backward matches finite differences for every shortcut") {
  SUBCASE("identity") {
    BasicBlock block(3, 3, 1, nullptr, "shortcut");
    randomize_module(block, 21);
    check_gradients(block, random_tensor(2, 3, 3, 3, 22), 23);
  }
  SUBCASE("option A") {
    BasicBlock block(2, 4, 2, std::make_unique<ShortcutA>(4), "shortcut");
    randomize_module(block, 24);
    check_gradients(block, random_tensor(2, 2, 4, 3, 25), 26);
  }
  SUBCASE("option B") {
    BasicBlock block(2, 3, 2, make_projection_shortcut(2, 3, 2), "downsample");
    randomize_module(block, 27);
    check_gradients(block, random_tensor(2, 2, 4, 4, 28), 29);
  }
}

}  // namespace
}  // namespace pcmkit::nn
