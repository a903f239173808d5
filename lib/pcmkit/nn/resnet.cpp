#include "pcmkit/nn/resnet.h"

#include "pcmkit/core/error.h"
#include "pcmkit/nn/activation.h"
#include "pcmkit/nn/basic_block.h"
#include "pcmkit/nn/batch_norm2d.h"
#include "pcmkit/nn/conv2d.h"
#include "pcmkit/nn/initialization.h"
#include "pcmkit/nn/linear.h"
#include "pcmkit/nn/pooling.h"
#include "pcmkit/nn/shortcut_a.h"

namespace pcmkit::nn {

void CifarResNetOptions::validate() const {
  if (depth < 8 || (depth - 2) % 6 != 0)
    throw InputError("", "depth", "must be 6n + 2 with n >= 1, got " + std::to_string(depth));
  for (Index w : widths)
    if (w < 1) throw InputError("", "widths", "must be >= 1, got " + std::to_string(w));
  if (num_classes < 1)
    throw InputError("", "num_classes", "must be >= 1, got " + std::to_string(num_classes));
  if (shortcut == ShortcutType::kA)
    for (int s = 0; s + 1 < 3; ++s) {
      const Index in = widths[s], planes = widths[s + 1];
      if (in + 2 * (planes / 4) != planes)
        throw InputError("", "widths",
                         "shortcut A pads " + std::to_string(planes / 4) +
                             " channels on each side, which turns " + std::to_string(in) +
                             " channels into " + std::to_string(in + 2 * (planes / 4)) + ", not " +
                             std::to_string(planes) + " (use shortcut B)");
    }
}

Network make_cifar_resnet(const CifarResNetOptions& options) {
  options.validate();
  const int blocks = (options.depth - 2) / 6;
  auto body = std::make_unique<Sequential>();
  // The stem's input is the images: no gradient needed there.
  body->emplace<Conv2d>("conv1", 3, options.widths[0], 3, 1, 1).set_input_gradient(false);
  body->emplace<BatchNorm2d>("bn1", options.widths[0]);
  body->emplace<ReLU>("relu");
  Index in_planes = options.widths[0];
  for (int stage = 0; stage < 3; ++stage) {
    auto& layer = body->emplace<Sequential>("layer" + std::to_string(stage + 1));
    const Index planes = options.widths[stage];
    for (int b = 0; b < blocks; ++b) {
      const Index stride = (stage > 0 && b == 0) ? 2 : 1;
      std::unique_ptr<Module> shortcut;
      if (stride != 1 || in_planes != planes) {
        if (options.shortcut == ShortcutType::kA)
          shortcut = std::make_unique<ShortcutA>(planes);
        else
          shortcut = make_projection_shortcut(in_planes, planes, stride);
      }
      layer.emplace<BasicBlock>(std::to_string(b), in_planes, planes, stride, std::move(shortcut),
                                "shortcut");
      in_planes = planes;
    }
  }
  body->emplace<GlobalAvgPool2d>("avgpool");
  body->emplace<Linear>("linear", in_planes, options.num_classes, true);
  const bool standard =
      options.widths == std::array<Index, 3>{16, 32, 64} && options.shortcut == ShortcutType::kA;
  std::string name = options.name;
  if (name.empty()) name = (standard ? "resnet" : "cifar_resnet") + std::to_string(options.depth);
  Network network(std::move(name), 3, options.num_classes, std::move(body));
  if (options.init_seed) initialize_for_training(network, *options.init_seed);
  return network;
}

CifarResNetOptions resnet32_pcm_options() {
  CifarResNetOptions options;
  options.depth = 32;
  options.widths = {16, 28, 56};
  options.shortcut = ShortcutType::kB;
  options.name = "resnet32-pcm";
  return options;
}

Network make_imagenet_resnet(int depth, Index num_classes) {
  std::array<int, 4> blocks{};
  if (depth == 18)
    blocks = {2, 2, 2, 2};
  else if (depth == 34)
    blocks = {3, 4, 6, 3};
  else
    throw InputError("", "depth",
                     "ImageNet ResNet depth must be 18 or 34, got " + std::to_string(depth));
  if (num_classes < 1)
    throw InputError("", "num_classes", "must be >= 1, got " + std::to_string(num_classes));
  auto body = std::make_unique<Sequential>();
  body->emplace<Conv2d>("conv1", 3, 64, 7, 2, 3).set_input_gradient(false);
  body->emplace<BatchNorm2d>("bn1", 64);
  body->emplace<ReLU>("relu");
  body->emplace<MaxPool2d>("maxpool", 3, 2, 1);
  Index in_planes = 64;
  for (int stage = 0; stage < 4; ++stage) {
    auto& layer = body->emplace<Sequential>("layer" + std::to_string(stage + 1));
    const Index planes = Index{64} << stage;
    for (int b = 0; b < blocks[stage]; ++b) {
      const Index stride = (stage > 0 && b == 0) ? 2 : 1;
      std::unique_ptr<Module> downsample;
      if (stride != 1 || in_planes != planes)
        downsample = make_projection_shortcut(in_planes, planes, stride);
      layer.emplace<BasicBlock>(std::to_string(b), in_planes, planes, stride, std::move(downsample),
                                "downsample");
      in_planes = planes;
    }
  }
  body->emplace<GlobalAvgPool2d>("avgpool");
  body->emplace<Linear>("fc", in_planes, num_classes, true);
  return Network("resnet" + std::to_string(depth), 3, num_classes, std::move(body));
}

std::string resnet_names() {
  return "resnet20, resnet32, resnet44, resnet56, resnet32-pcm, resnet18, resnet34";
}

Network make_resnet(const std::string& arch) {
  for (int depth : {20, 32, 44, 56})
    if (arch == "resnet" + std::to_string(depth)) {
      CifarResNetOptions options;
      options.depth = depth;
      return make_cifar_resnet(options);
    }
  if (arch == "resnet32-pcm") return make_cifar_resnet(resnet32_pcm_options());
  if (arch == "resnet18") return make_imagenet_resnet(18);
  if (arch == "resnet34") return make_imagenet_resnet(34);
  throw InputError("", "arch",
                   "unknown architecture \"" + arch + "\" (known: " + resnet_names() + ")");
}

}  // namespace pcmkit::nn
