// Conv2d's training pass and backward pass: finite differences over strides, paddings, kernels
// and bias; the effective weight's semantics; thread-count independence.
#include <doctest/doctest.h>

#include "gradient_check.h"
#include "pcmkit/core/error.h"
#include "pcmkit/core/threads.h"
#include "pcmkit/nn/conv2d.h"

namespace pcmkit::nn {
namespace {

using testing::check_gradients;
using testing::random_matrix;
using testing::random_tensor;

struct Geometry {
  Index in, out, kernel, stride, padding, height, width;
  bool bias;
};

Conv2d make_conv(const Geometry& g, unsigned seed) {
  Conv2d conv(g.in, g.out, g.kernel, g.stride, g.padding, g.bias);
  conv.master_weight() = random_matrix(g.out, g.in * g.kernel * g.kernel, seed);
  if (g.bias) conv.bias() = random_matrix(g.out, 1, seed + 1);
  return conv;
}

TEST_CASE("Conv2d backward matches finite differences") {
  const Geometry cases[] = {
      {3, 4, 3, 1, 1, 5, 5, false},  // "same" 3×3
      {2, 3, 3, 2, 1, 7, 6, true},   // stride 2, odd and even sides, bias
      {3, 2, 1, 2, 0, 6, 5, false},  // 1×1 projection, stride 2
      {2, 2, 7, 2, 3, 9, 8, true},   // ImageNet stem shape
      {1, 2, 3, 3, 0, 8, 7, false},  // stride 3, no padding: some rows unused
      {2, 3, 3, 2, 0, 7, 9, false},  // stride 2 by column phases: odd width, no padding
      {1, 2, 5, 2, 1, 6, 7, false},  // 5×5, stride 2: kernel columns 2 past each phase
  };
  unsigned seed = 10;
  for (const Geometry& g : cases) {
    CAPTURE(g.in);
    CAPTURE(g.kernel);
    CAPTURE(g.stride);
    CAPTURE(g.padding);
    Conv2d conv = make_conv(g, seed);
    check_gradients(conv, random_tensor(2, g.in, g.height, g.width, seed + 2), seed + 3);
    seed += 10;
  }
}

TEST_CASE("Conv2d backward accumulates into the gradients") {
  Conv2d conv = make_conv({2, 3, 3, 1, 1, 4, 4, true}, 1);
  const Tensor x = random_tensor(2, 2, 4, 4, 2);
  const Tensor g = random_tensor(2, 3, 4, 4, 3);
  conv.forward_train(x);
  conv.backward(g);
  const RowMatrixXf once = conv.master_weight_grad();
  const Eigen::VectorXf bias_once = conv.bias_grad();
  conv.forward_train(x);
  conv.backward(g);
  CHECK((conv.master_weight_grad() - 2.0f * once).cwiseAbs().maxCoeff() <= 1e-5f);
  CHECK((conv.bias_grad() - 2.0f * bias_once).cwiseAbs().maxCoeff() <= 1e-5f);
}

TEST_CASE("Conv2d with an effective weight: activations and dL/dx use it, dW goes to the master") {
  const Geometry g{3, 4, 3, 2, 1, 6, 6, true};
  Conv2d noisy = make_conv(g, 5);
  const RowMatrixXf master = noisy.master_weight();
  const RowMatrixXf effective = master + 0.3f * random_matrix(master.rows(), master.cols(), 6);
  noisy.set_effective_weight(effective);
  Conv2d reference = make_conv(g, 5);  // the same bias
  reference.master_weight() = effective;

  const Tensor x = random_tensor(3, 3, 6, 6, 7);
  const Tensor y_noisy = noisy.forward_train(x);
  const Tensor y_reference = reference.forward_train(x);
  CHECK(y_noisy.values() == y_reference.values());
  const Tensor r = random_tensor(y_noisy.n(), 4, y_noisy.height(), y_noisy.width(), 8);
  const Tensor dx_noisy = noisy.backward(r);
  const Tensor dx_reference = reference.backward(r);
  CHECK(dx_noisy.values() == dx_reference.values());
  CHECK(noisy.master_weight_grad() == reference.master_weight_grad());
  CHECK(noisy.bias_grad() == reference.bias_grad());
  CHECK(noisy.master_weight() == master);  // the master weight itself is untouched
}

TEST_CASE("Conv2d backward is bit-identical on 1 and 2 threads") {
  // 16 channels on 32×32: several chunks of images in the forward pass (im2col) and the Winograd
  // weight gradient (3 images per chunk).
  const Geometry g{16, 16, 3, 1, 1, 32, 32, true};
  const Tensor x = random_tensor(6, 16, 32, 32, 11);
  const Tensor r = random_tensor(6, 16, 32, 32, 12);
  std::vector<Eigen::VectorXf> dx;
  std::vector<RowMatrixXf> dw;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    Conv2d conv = make_conv(g, 13);
    conv.forward_train(x);
    dx.push_back(conv.backward(r).values());
    dw.push_back(conv.master_weight_grad());
  }
  set_num_threads(0);
  CHECK(dx[0] == dx[1]);
  CHECK(dw[0] == dw[1]);
}

TEST_CASE("Conv2d's Winograd backward matches its im2col backward") {
  // resnet32-pcm's channel counts (not whole vectors of 16), a bias, a ragged plane. Winograd's
  // weight gradient errs by up to ~2e-6 of Σ|dy·x| (winograd_weight_gradient.h), which is up to
  // ~√(terms) larger than |dW| for random signs: 1e-4 of the largest value, the training
  // budget, bounds both algorithms' difference here.
  constexpr double kRelativeTolerance = 1e-4;
  const Geometry g{28, 56, 3, 1, 1, 9, 10, true};
  const Tensor x = random_tensor(5, 28, 9, 10, 21);
  const Tensor r = random_tensor(5, 56, 9, 10, 22);
  std::vector<Eigen::VectorXf> dx, dw, db;
  for (const Conv2d::Algorithm algorithm :
       {Conv2d::Algorithm::kIm2colGemm, Conv2d::Algorithm::kWinograd2x2,
        Conv2d::Algorithm::kWinograd4x4}) {
    Conv2d conv = make_conv(g, 23);
    conv.set_algorithm(algorithm);
    conv.master_weight_grad().setZero();
    conv.bias_grad().setZero();
    conv.forward_train(x);
    dx.push_back(conv.backward(r).values());
    dw.push_back(conv.master_weight_grad().reshaped());
    db.push_back(conv.bias_grad());
  }
  const auto relative = [](const Eigen::VectorXf& a, const Eigen::VectorXf& b) {
    return (a - b).cwiseAbs().maxCoeff() / b.cwiseAbs().maxCoeff();
  };
  for (std::size_t k = 1; k < 3; ++k) {
    CAPTURE(k);
    CHECK(relative(dx[k], dx[0]) <= kRelativeTolerance);
    CHECK(relative(dw[k], dw[0]) <= kRelativeTolerance);
    CHECK(relative(db[k], db[0]) <= kRelativeTolerance);
  }
}

TEST_CASE("Conv2d without an input gradient returns none and the same dW and db, bit for bit") {
  // Every backward path: Winograd 3×3, the im2col "same" path, and the strided col2im path (the
  // ImageNet stem's shape).
  const Geometry shapes[] = {
      {3, 16, 3, 1, 1, 9, 10, true}, {3, 16, 3, 1, 1, 9, 10, true}, {3, 8, 7, 2, 3, 11, 12, true}};
  const Conv2d::Algorithm algorithms[] = {Conv2d::Algorithm::kWinograd4x4,
                                          Conv2d::Algorithm::kIm2colGemm,
                                          Conv2d::Algorithm::kIm2colGemm};
  for (int k = 0; k < 3; ++k) {
    CAPTURE(k);
    const Geometry& g = shapes[k];
    const Tensor x = random_tensor(3, g.in, g.height, g.width, 31);
    Conv2d with = make_conv(g, 33), without = make_conv(g, 33);
    with.set_algorithm(algorithms[k]);
    without.set_algorithm(algorithms[k]);
    without.set_input_gradient(false);
    CHECK(with.input_gradient());
    CHECK_FALSE(without.input_gradient());
    const Tensor y = with.forward_train(x);
    CHECK(without.forward_train(x).values() == y.values());
    const Tensor r = random_tensor(y.n(), y.channels(), y.height(), y.width(), 32);
    const Tensor dx = with.backward(r);
    CHECK(dx.same_shape(x));
    CHECK(without.backward(r).size() == 0);
    CHECK(without.master_weight_grad() == with.master_weight_grad());
    CHECK(without.bias_grad() == with.bias_grad());
    CHECK(with.master_weight_grad().cwiseAbs().maxCoeff() > 0.0f);
  }
}

TEST_CASE("Conv2d backward requires forward_train and a gradient of the output's shape") {
  Conv2d conv = make_conv({2, 3, 3, 1, 1, 4, 4, false}, 1);
  CHECK_THROWS_AS(conv.backward(random_tensor(1, 3, 4, 4, 2)), InternalError);
  conv.forward_train(random_tensor(1, 2, 4, 4, 3));
  CHECK_THROWS_AS(conv.backward(random_tensor(1, 3, 5, 4, 2)), InternalError);
}

}  // namespace
}  // namespace pcmkit::nn
