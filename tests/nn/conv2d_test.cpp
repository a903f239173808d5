// Conv2d against a naive 7-loop convolution, under an error budget relative to Σ|w·x|.
#include "pcmkit/nn/conv2d.h"

#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <cstring>

#include "nn_test_support.h"
#include "pcmkit/core/error.h"
#include "pcmkit/nn/activation.h"
#include "pcmkit/nn/batch_norm2d.h"

namespace pcmkit::nn {
namespace {

// fp32 accumulation of K ≤ 600 products: the rounding error is below K·2⁻²⁴·Σ|w·x| in the worst
// case and ~sqrt(K)·2⁻²⁴ typically; 1e-5 of Σ|w·x| covers the worst case for K ≤ 160 and leaves
// a wide margin for the typical case above that.
constexpr double kConvRelTolerance = 1e-5;

struct Geometry {
  Index in, out, kernel, stride, padding, height, width;
  bool bias;
};

// Returns the largest |conv − naive| / (Σ|w·x| + |b| + 1e-30) over all outputs.
double max_relative_error(Conv2d& conv, const Tensor& input, const RowMatrixXf& weight) {
  const Tensor output = conv.forward(input);
  const Index k = conv.kernel_size(), s = conv.stride(), p = conv.padding();
  const Index h_out = (input.height() + 2 * p - k) / s + 1;
  const Index w_out = (input.width() + 2 * p - k) / s + 1;
  REQUIRE(output.n() == input.n());
  REQUIRE(output.channels() == conv.out_channels());
  REQUIRE(output.height() == h_out);
  REQUIRE(output.width() == w_out);
  double worst = 0.0;
  for (Index i = 0; i < input.n(); ++i)
    for (Index o = 0; o < conv.out_channels(); ++o)
      for (Index y = 0; y < h_out; ++y)
        for (Index x = 0; x < w_out; ++x) {
          double sum = conv.has_bias() ? conv.bias()[o] : 0.0;
          double magnitude = std::abs(sum);
          for (Index c = 0; c < conv.in_channels(); ++c)
            for (Index ky = 0; ky < k; ++ky)
              for (Index kx = 0; kx < k; ++kx) {
                const Index iy = y * s - p + ky, ix = x * s - p + kx;
                if (iy < 0 || iy >= input.height() || ix < 0 || ix >= input.width()) continue;
                const double term = double(weight(o, (c * k + ky) * k + kx)) * input(i, c, iy, ix);
                sum += term;
                magnitude += std::abs(term);
              }
          worst = std::max(worst, std::abs(output(i, o, y, x) - sum) / (magnitude + 1e-30));
        }
  return worst;
}

TEST_CASE("Conv2d matches the naive convolution for strides, paddings and kernels") {
  const Geometry cases[] = {
      {3, 5, 3, 1, 1, 7, 6, false},    // CIFAR 3×3 same
      {4, 6, 3, 2, 1, 9, 8, false},    // stride 2, odd/even sizes
      {4, 8, 1, 2, 0, 8, 7, false},    // 1×1 projection
      {3, 4, 7, 2, 3, 11, 13, false},  // ImageNet stem
      {2, 3, 3, 1, 0, 5, 5, true},     // no padding, with bias
      {2, 3, 5, 3, 4, 4, 4, true},     // padding larger than the input's border
      {16, 16, 3, 1, 1, 8, 8, false},  // many images per chunk, several chunks (40 images)
      {3, 4, 3, 1, 1, 1, 1, false},    // same-shape im2col on a 1×1 input: all borders
      {2, 3, 5, 1, 2, 2, 3, true},     // same-shape im2col, kernel wider than the input
      {2, 2, 1, 1, 0, 4, 5, false},    // 1×1 stride 1
      {3, 2, 5, 2, 1, 9, 11, true},    // 5×5 stride 2 by column phases, odd width
      {2, 3, 3, 2, 2, 6, 7, false},    // stride 2, padding 2: kernel columns before each phase
  };
  unsigned seed = 1;
  for (const Geometry& g : cases) {
    CAPTURE(g.in);
    CAPTURE(g.kernel);
    CAPTURE(g.stride);
    CAPTURE(g.padding);
    Conv2d conv(g.in, g.out, g.kernel, g.stride, g.padding, g.bias);
    conv.master_weight() = testing::random_matrix(g.out, g.in * g.kernel * g.kernel, seed++);
    if (g.bias) conv.bias() = testing::random_matrix(g.out, 1, seed++);
    const Index n = g.in == 16 ? 40 : 3;
    const Tensor input = testing::random_tensor(n, g.in, g.height, g.width, seed++);
    CHECK(max_relative_error(conv, input, conv.master_weight()) < kConvRelTolerance);
  }
}

TEST_CASE("Conv2d computes with the effective weight while it is set") {
  Conv2d conv(3, 4, 3, 1, 1);
  conv.master_weight() = testing::random_matrix(4, 27, 11);
  const RowMatrixXf noisy = testing::random_matrix(4, 27, 12);
  const Tensor input = testing::random_tensor(2, 3, 5, 5, 13);
  conv.set_effective_weight(noisy);
  CHECK(conv.has_effective_weight());
  CHECK(max_relative_error(conv, input, noisy) < kConvRelTolerance);
  conv.clear_effective_weight();
  CHECK_FALSE(conv.has_effective_weight());
  CHECK(max_relative_error(conv, input, conv.master_weight()) < kConvRelTolerance);
  CHECK_THROWS_AS(conv.set_effective_weight(RowMatrixXf::Zero(4, 26)), InternalError);
}

TEST_CASE("Conv2d results do not depend on the thread count") {
  Conv2d conv(16, 32, 3, 2, 1);
  conv.master_weight() = testing::random_matrix(32, 144, 21);
  const Tensor input = testing::random_tensor(37, 16, 16, 16, 22);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const Tensor one = conv.forward(input);
  omp_set_num_threads(3);
  const Tensor three = conv.forward(input);
  omp_set_num_threads(saved);
  CHECK(std::memcmp(one.data(), three.data(), sizeof(float) * one.size()) == 0);
}

TEST_CASE("Conv2d names its parameters as PyTorch and rejects wrong input") {
  Conv2d conv(3, 8, 3, 1, 1, true);
  std::vector<ParameterRef> params;
  conv.collect_parameters("conv1", params);
  REQUIRE(params.size() == 2);
  CHECK(params[0].name == "conv1.weight");
  CHECK(params[0].shape == std::vector<Index>{8, 3, 3, 3});
  CHECK(params[1].name == "conv1.bias");
  CHECK(params[1].shape == std::vector<Index>{8});
  CHECK_THROWS_AS(conv.forward(Tensor(1, 4, 5, 5)), InternalError);
  CHECK_THROWS_AS(Conv2d(0, 1, 3, 1, 1), InternalError);
  CHECK_THROWS_AS(Conv2d(1, 1, 3, 0, 1), InternalError);
}

TEST_CASE("Conv2d on an empty batch gives an empty batch") {
  Conv2d conv(3, 8, 3, 1, 1);
  const Tensor out = conv.forward(Tensor(0, 3, 4, 4));
  CHECK(out.n() == 0);
  CHECK(out.channels() == 8);
}

}  // namespace
}  // namespace pcmkit::nn

namespace pcmkit::nn {
namespace {

TEST_CASE("Conv2d::forward_fused equals conv, BatchNorm, residual add and ReLU run one by one") {
  Conv2d conv(4, 6, 3, 1, 1, true);
  conv.master_weight() = testing::random_matrix(6, 36, 31);
  conv.bias() = testing::random_matrix(6, 1, 32);
  BatchNorm2d bn(6);
  bn.weight() = testing::random_matrix(6, 1, 33);
  bn.bias() = testing::random_matrix(6, 1, 34);
  bn.running_mean() = testing::random_matrix(6, 1, 35);
  bn.running_var() = testing::random_matrix(6, 1, 36).cwiseAbs().array() + 0.5f;
  bn.refresh();
  const Tensor input = testing::random_tensor(5, 4, 7, 6, 37);
  const Tensor residual = testing::random_tensor(5, 6, 7, 6, 38);

  const Tensor normalised = bn.forward(conv.forward(input));
  Tensor added = normalised;
  added.values() += residual.values();
  // Bit-identical: the fused pass performs the same float operations in the same order.
  CHECK(conv.forward_fused(input, {&bn.scale(), &bn.shift(), nullptr, false}).values() ==
        normalised.values());
  CHECK(conv.forward_fused(input, {&bn.scale(), &bn.shift(), nullptr, true}).values() ==
        ReLU().forward(normalised).values());
  CHECK(conv.forward_fused(input, {&bn.scale(), &bn.shift(), &residual, true}).values() ==
        ReLU().forward(added).values());
  CHECK(conv.forward_fused(input, {}).values() == conv.forward(input).values());

  CHECK_THROWS_AS(conv.forward_fused(input, {&bn.scale(), nullptr, nullptr, false}), InternalError);
  const Eigen::VectorXf short_scale = Eigen::VectorXf::Ones(5);
  CHECK_THROWS_AS(conv.forward_fused(input, {&short_scale, &short_scale, nullptr, false}),
                  InternalError);
  const Tensor wrong = testing::random_tensor(5, 6, 6, 6, 39);
  CHECK_THROWS_AS(conv.forward_fused(input, {nullptr, nullptr, &wrong, false}), InternalError);
}

}  // namespace
}  // namespace pcmkit::nn
