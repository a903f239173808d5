// ResNet builders: PyTorch names and counts, shapes, option errors, thread independence.
#include "pcmkit/nn/resnet.h"

#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <cstring>

#include "nn_test_support.h"
#include "pcmkit/core/error.h"

namespace pcmkit::nn {
namespace {

struct Counts {
  std::size_t tensors = 0;
  Index trainable = 0;
};

Counts count(Network& network) {
  Counts c;
  for (const ParameterRef& p : network.parameters()) {
    ++c.tensors;
    if (p.trainable) c.trainable += static_cast<Index>(p.values.size());
  }
  return c;
}

bool has(Network& network, const std::string& name) {
  const std::vector<ParameterRef> params = network.parameters();
  return std::any_of(params.begin(), params.end(),
                     [&](const ParameterRef& p) { return p.name == name; });
}

TEST_CASE("CIFAR ResNets have the tensor and parameter counts of pytorch_resnet_cifar10") {
  // ../shared/weights/README.md: 97, 157, 217, 277 tensors; 269 722 ... 853 018 parameters.
  const int depths[] = {20, 32, 44, 56};
  const std::size_t tensors[] = {97, 157, 217, 277};
  const Index trainable[] = {269722, 464154, 658586, 853018};
  for (int k = 0; k < 4; ++k) {
    Network net = make_resnet("resnet" + std::to_string(depths[k]));
    const Counts c = count(net);
    CHECK(c.tensors == tensors[k]);
    CHECK(c.trainable == trainable[k]);
  }
  Network net = make_resnet("resnet20");
  CHECK(net.arch() == "resnet20");
  CHECK(has(net, "conv1.weight"));
  CHECK(has(net, "layer1.0.bn1.running_var"));
  CHECK(has(net, "layer3.2.conv2.weight"));
  CHECK(has(net, "linear.weight"));
  CHECK(has(net, "linear.bias"));
  CHECK_FALSE(has(net, "layer2.0.shortcut.0.weight"));
  // Analog layers: 19 convolutions and the linear layer.
  const std::vector<AnalogLayerRef> analog = net.analog_layers();
  CHECK(analog.size() == 20);
  CHECK(analog.front().name == "conv1");
  CHECK(analog.back().name == "linear");
}

TEST_CASE("CIFAR ResNet with shortcut B has projection shortcuts named shortcut.0 / shortcut.1") {
  CifarResNetOptions options;
  options.depth = 20;
  options.widths = {16, 48, 96};  // not possible with option A
  options.shortcut = ShortcutType::kB;
  Network net = make_cifar_resnet(options);
  CHECK(net.arch() == "cifar_resnet20");
  CHECK(has(net, "layer2.0.shortcut.0.weight"));
  CHECK(has(net, "layer2.0.shortcut.1.running_mean"));
  CHECK(has(net, "layer3.0.shortcut.0.weight"));
  CHECK_FALSE(has(net, "layer1.0.shortcut.0.weight"));
  testing::randomize(net, 5);
  const RowMatrixXf logits = net.forward(testing::random_tensor(2, 3, 32, 32, 6));
  CHECK(logits.rows() == 2);
  CHECK(logits.cols() == 10);
  CHECK(logits.allFinite());
}

TEST_CASE("CIFAR ResNet options are validated") {
  CifarResNetOptions options;
  options.depth = 21;
  CHECK_THROWS_AS(make_cifar_resnet(options), InputError);
  options.depth = 2;
  CHECK_THROWS_AS(make_cifar_resnet(options), InputError);
  options.depth = 8;  // n = 1, the smallest
  CHECK_NOTHROW(make_cifar_resnet(options));
  options.widths = {16, 48, 96};  // option A cannot pad 16 channels to 48
  CHECK_THROWS_WITH_AS(make_cifar_resnet(options),
                       doctest::Contains("widths: shortcut A pads 12 channels"), InputError);
  options.widths = {16, 32, 64};
  options.num_classes = 0;
  CHECK_THROWS_AS(make_cifar_resnet(options), InputError);
  CHECK_THROWS_WITH_AS(make_resnet("vgg16"), doctest::Contains("arch: unknown architecture"),
                       InputError);
  CHECK_THROWS_AS(make_imagenet_resnet(50), InputError);
}

TEST_CASE("ImageNet ResNet-18/34 follow torchvision's layout") {
  // torchvision: 11 689 512 and 21 797 672 parameters; 102 and 182 state_dict tensors besides
  // the num_batches_tracked counters.
  Network r18 = make_imagenet_resnet(18);
  Network r34 = make_resnet("resnet34");
  CHECK(count(r18).trainable == 11689512);
  CHECK(count(r34).trainable == 21797672);
  CHECK(count(r18).tensors == 102);
  CHECK(count(r34).tensors == 182);
  CHECK(has(r34, "layer2.0.downsample.0.weight"));
  CHECK(has(r34, "layer4.0.downsample.1.running_var"));
  CHECK(has(r34, "layer3.5.conv2.weight"));
  CHECK_FALSE(has(r34, "layer1.0.downsample.0.weight"));
  CHECK(has(r34, "fc.bias"));
  testing::randomize(r18, 7);
  const RowMatrixXf logits = r18.forward(testing::random_tensor(1, 3, 64, 64, 8));
  CHECK(logits.rows() == 1);
  CHECK(logits.cols() == 1000);
  CHECK(logits.allFinite());
}

TEST_CASE("ResNet logits are bit-identical for 1 and 2 threads") {
  Network net = make_resnet("resnet20");
  testing::randomize(net, 9);
  const Tensor images = testing::random_tensor(45, 3, 32, 32, 10);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const RowMatrixXf one = net.forward(images);
  omp_set_num_threads(2);
  const RowMatrixXf two = net.forward(images);
  omp_set_num_threads(saved);
  REQUIRE(one.size() == two.size());
  CHECK(std::memcmp(one.data(), two.data(), sizeof(float) * one.size()) == 0);
}

}  // namespace
}  // namespace pcmkit::nn
