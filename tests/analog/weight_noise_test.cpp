#include "pcmkit/analog/weight_noise.h"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "pcmkit/core/threads.h"
#include "pcmkit/nn/conv2d.h"
#include "pcmkit/nn/linear.h"

using namespace pcmkit;

namespace {

struct TwoLayers {
  nn::Conv2d conv{8, 16, 3, 1, 1};
  nn::Linear linear{64, 10};
  std::vector<nn::AnalogLayerRef> refs;
  TwoLayers() {
    Eigen::Index k = 0;
    for (auto* w : {&conv.master_weight(), &linear.master_weight()})
      for (Eigen::Index i = 0; i < w->size(); ++i, ++k)
        w->data()[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(k)));
    conv.master_weight()(3, 5) = 2.0f;  // max |W| of the conv layer
    refs = {{"conv", &conv}, {"linear", &linear}};
  }
};

}  // namespace

TEST_CASE("injected noise has sd eta*max|W| per layer, zero mean, and leaves the master alone") {
  TwoLayers net;
  const nn::RowMatrixXf master = net.conv.master_weight();
  analog::inject_weight_noise(net.refs, 0.05, 3, 17);
  REQUIRE(net.conv.has_effective_weight());
  REQUIRE(net.linear.has_effective_weight());
  CHECK(net.conv.master_weight() == master);
  const Eigen::ArrayXf d = (net.conv.forward_weight() - master).array().reshaped();
  const double n = static_cast<double>(d.size());  // 1152 draws
  const double sigma = 0.05 * 2.0;
  const double mean = d.cast<double>().mean();
  const double sd = std::sqrt((d.cast<double>() - mean).square().sum() / (n - 1));
  // 5 standard errors: mean ± σ/√n, sd ± σ/√(2n).
  CHECK(std::abs(mean) < 5 * sigma / std::sqrt(n));
  CHECK(std::abs(sd - sigma) < 5 * sigma / std::sqrt(2 * n));
  const double linear_max = net.linear.master_weight().cwiseAbs().maxCoeff();
  const Eigen::ArrayXf dl =
      (net.linear.forward_weight() - net.linear.master_weight()).array().reshaped();
  const double nl = static_cast<double>(dl.size());
  const double sdl = std::sqrt(dl.cast<double>().square().sum() / nl);
  CHECK(std::abs(sdl - 0.05 * linear_max) < 5 * 0.05 * linear_max / std::sqrt(2 * nl));
  analog::clear_weight_noise(net.refs);
  CHECK_FALSE(net.conv.has_effective_weight());
}

TEST_CASE("noise is fresh per step and a pure function of (seed, step), whatever the threads") {
  TwoLayers net;
  const int threads_before = num_threads();
  set_num_threads(1);
  analog::inject_weight_noise(net.refs, 0.038, 1, 5);
  const nn::RowMatrixXf a = net.conv.forward_weight();
  set_num_threads(2);
  analog::inject_weight_noise(net.refs, 0.038, 1, 5);
  const nn::RowMatrixXf b = net.conv.forward_weight();
  analog::inject_weight_noise(net.refs, 0.038, 1, 6);
  const nn::RowMatrixXf c = net.conv.forward_weight();
  analog::inject_weight_noise(net.refs, 0.038, 2, 5);
  const nn::RowMatrixXf d = net.conv.forward_weight();
  set_num_threads(threads_before);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(a != d);
  analog::inject_weight_noise(net.refs, 0.0, 1, 5);
  CHECK(net.conv.forward_weight() == net.conv.master_weight());
}

TEST_CASE("clipping bounds every layer at alpha times its own standard deviation") {
  TwoLayers net;
  const nn::RowMatrixXf before = net.conv.master_weight();
  // The reference std, computed naively in double.
  double sum = 0, ss = 0;
  for (Eigen::Index i = 0; i < before.size(); ++i) sum += before.data()[i];
  const double mean = sum / static_cast<double>(before.size());
  for (Eigen::Index i = 0; i < before.size(); ++i)
    ss += (before.data()[i] - mean) * (before.data()[i] - mean);
  const double bound = 1.5 * std::sqrt(ss / static_cast<double>(before.size() - 1));
  analog::clip_weights(net.refs, 1.5);
  const nn::RowMatrixXf& after = net.conv.master_weight();
  int clipped = 0;
  for (Eigen::Index i = 0; i < after.size(); ++i) {
    const double w = before.data()[i];
    const double expected = std::max(-bound, std::min(bound, w));
    CHECK(after.data()[i] == doctest::Approx(expected).epsilon(1e-6));
    clipped += std::abs(w) > bound;
  }
  CHECK(clipped > 0);
  CHECK(after(3, 5) == doctest::Approx(bound).epsilon(1e-6));
}
