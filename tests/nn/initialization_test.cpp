// Initialisation for training from scratch, and the resnet32-pcm architecture.
#include "pcmkit/nn/initialization.h"

#include <doctest/doctest.h>

#include <cmath>

#include "pcmkit/nn/batch_norm2d.h"
#include "pcmkit/nn/conv2d.h"
#include "pcmkit/nn/linear.h"
#include "pcmkit/nn/resnet.h"

namespace pcmkit::nn {
namespace {

TEST_CASE("resnet32-pcm has 361,722 conv and linear weights with the linear bias") {
  Network network = make_resnet("resnet32-pcm");
  CHECK(network.arch() == "resnet32-pcm");
  Index weights = 0, biases = 0;
  for (const AnalogLayerRef& ref : network.analog_layers()) {
    weights += ref.layer->master_weight().size();
    if (auto* linear = dynamic_cast<Linear*>(ref.layer)) biases += linear->bias().size();
  }
  CHECK(weights == 361712);
  CHECK(weights + biases == 361722);  // the reference paper's count
  bool projection = false;
  for (const ParameterRef& p : network.parameters())
    projection = projection || p.name == "layer3.0.shortcut.0.weight";
  CHECK(projection);
  CHECK(network.analog_layers().size() == 31 + 2 + 1);  // 31 3×3 convs, 2 projections, linear
}

TEST_CASE("Training initialisation: Kaiming fan-out convs, identity BatchNorm, PyTorch linear") {
  CifarResNetOptions options = resnet32_pcm_options();
  options.init_seed = 42;
  Network network = make_cifar_resnet(options);
  for (const AnalogLayerRef& ref : network.analog_layers()) {
    const RowMatrixXf& w = ref.layer->master_weight();
    const double n = static_cast<double>(w.size());
    const double mean = w.cast<double>().mean();
    const double std_dev = std::sqrt((w.cast<double>().array() - mean).square().sum() / n);
    if (auto* conv = dynamic_cast<Conv2d*>(ref.layer)) {
      CAPTURE(ref.name);
      const double expected =
          std::sqrt(2.0 / static_cast<double>(conv->out_channels() * conv->kernel_size() *
                                              conv->kernel_size()));
      // 4σ of the sample mean and of the sample standard deviation (σ/sqrt(2N)) of N normals.
      CHECK(std::abs(mean) <= 4.0 * expected / std::sqrt(n));
      CHECK(std::abs(std_dev / expected - 1.0) <= 4.0 / std::sqrt(2.0 * n));
    } else {
      auto* linear = dynamic_cast<Linear*>(ref.layer);
      REQUIRE(linear != nullptr);
      const double bound = 1.0 / std::sqrt(static_cast<double>(linear->in_features()));
      CHECK(w.cwiseAbs().maxCoeff() <= bound);
      CHECK(linear->bias().cwiseAbs().maxCoeff() <= bound);
      CHECK(linear->bias().cwiseAbs().maxCoeff() > 0.0f);
      // Uniform on ±b: std b/√3, and the sample std of N values has a relative spread of
      // sqrt(1/5 − 1/9)·3/2/sqrt(N) ≈ 0.447/sqrt(N): 0.019 for N = 560; 4σ ≈ 0.076.
      CHECK(std_dev == doctest::Approx(bound / std::sqrt(3.0)).epsilon(4.0 * 0.447 / std::sqrt(n)));
    }
  }
  for (BatchNorm2d* bn : network.batch_norms()) {
    CHECK(bn->weight().isOnes());
    CHECK(bn->bias().isZero());
    CHECK(bn->running_mean().isZero());
    CHECK(bn->running_var().isOnes());
  }
}

TEST_CASE("Training initialisation depends on the seed only") {
  const auto weights = [](std::uint64_t seed) {
    CifarResNetOptions options;
    options.depth = 8;
    options.init_seed = seed;
    Network network = make_cifar_resnet(options);
    std::vector<float> all;
    for (const ParameterRef& p : network.parameters())
      all.insert(all.end(), p.values.begin(), p.values.end());
    return all;
  };
  CHECK(weights(1) == weights(1));
  CHECK(weights(1) != weights(2));
}

}  // namespace
}  // namespace pcmkit::nn
