// Network: tasks of images give the same logits as the body on the whole batch, and errors
// raised inside the parallel tasks reach the caller as exceptions.
#include "pcmkit/nn/network.h"

#include <doctest/doctest.h>

#include "nn_test_support.h"
#include "pcmkit/core/error.h"
#include "pcmkit/nn/batch_norm2d.h"
#include "pcmkit/nn/conv2d.h"
#include "pcmkit/nn/pooling.h"

namespace pcmkit::nn {
namespace {

// Tasks and the whole batch group images differently in the GEMMs: float rounding only.
constexpr double kRegroupTolerance = 1e-5;

Network small_network(Index num_classes) {
  auto body = std::make_unique<Sequential>();
  auto& conv = body->emplace<Conv2d>("conv", 3, 5, 3, 1, 1);
  conv.master_weight() = testing::random_matrix(5, 27, 1);
  body->emplace<GlobalAvgPool2d>("pool");
  return Network("small", 3, num_classes, std::move(body));
}

TEST_CASE("Network splits a batch into tasks without changing the logits beyond rounding") {
  Network net = small_network(5);
  const Index n = 2 * Network::kImagesPerTask + 3;
  const Tensor images = testing::random_tensor(n, 3, 6, 6, 2);
  const RowMatrixXf logits = net.forward(images);
  const Tensor whole = net.body().forward(images);
  REQUIRE(logits.rows() == n);
  CHECK((logits - whole.rows()).cwiseAbs().maxCoeff() < kRegroupTolerance);
  CHECK(net.analog_layers().size() == 1);
  CHECK(net.parameters().front().name == "conv.weight");
}

TEST_CASE("Errors inside the parallel tasks reach the caller") {
  Network net = small_network(4);  // the body gives 5 outputs
  CHECK_THROWS_AS(net.forward(testing::random_tensor(40, 3, 6, 6, 3)), InternalError);
  CHECK_THROWS_AS(net.forward(testing::random_tensor(2, 3, 6, 6, 3)), InternalError);
  CHECK_THROWS_AS(net.forward(testing::random_tensor(2, 4, 6, 6, 3)), InternalError);
}

}  // namespace
}  // namespace pcmkit::nn

namespace pcmkit::nn {
namespace {

TEST_CASE("BatchNorm statistics through Network::forward are over the whole batch") {
  auto body = std::make_unique<Sequential>();
  auto& conv = body->emplace<Conv2d>("conv", 3, 4, 3, 1, 1);
  conv.master_weight() = testing::random_matrix(4, 27, 4);
  auto& bn = body->emplace<BatchNorm2d>("bn", 4);
  body->emplace<GlobalAvgPool2d>("pool");
  Network net("stats", 3, 4, std::move(body));
  const Index n = 2 * Network::kImagesPerTask + 8;  // tasks of 16, 16 and 8 would weigh unequally
  const Tensor images = testing::random_tensor(n, 3, 6, 6, 5);
  const Tensor conv_out = conv.forward(images);
  bn.begin_statistics();
  net.forward(images);
  bn.end_statistics();
  for (Index c = 0; c < 4; ++c) {
    double sum = 0.0;
    for (Index i = 0; i < n; ++i) sum += conv_out.image(i).row(c).cast<double>().sum();
    CHECK(bn.running_mean()[c] == doctest::Approx(sum / double(n * 36)).epsilon(1e-5));
  }
}

}  // namespace
}  // namespace pcmkit::nn
