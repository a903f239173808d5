// ResNet builders with PyTorch's parameter names.
//
// CIFAR ResNet (He et al. 2016, §4.2; pytorch_resnet_cifar10's resnet.py): depth 6n + 2;
//   conv1 3×3 (3 → w0) → bn1 → relu → layer1, layer2, layer3 (n BasicBlocks each, widths w0, w1,
//   w2, stride 2 at the first block of layer2 and layer3) → global average pool → linear (w2 →
//   classes, with bias). Shortcuts where the shape changes: option A (ShortcutA, no parameters)
//   or option B (projection, named "layerL.0.shortcut.0" / ".1").
// ImageNet ResNet-18/34 (torchvision.models.resnet): conv1 7×7/2 pad 3 (3 → 64) → bn1 → relu →
//   maxpool 3×3/2 pad 1 → layer1..4 (widths 64, 128, 256, 512; blocks 2,2,2,2 or 3,4,6,3;
//   stride 2 from layer2 on; projection shortcut "downsample.0/.1") → avgpool → fc (with bias).
// resnet32-pcm: the CIFAR ResNet-32 of the PCM training recipe (Joshi et al. 2020): widths
//   16/28/56, shortcut B (projection), biased linear. Its conv and linear weights plus the linear
//   bias number exactly 361,722 (361,712 without the bias).
// BatchNorm eps is 1e-5 everywhere. Weights start at zero (BatchNorm at identity): load them, or
// set CifarResNetOptions::init_seed (nn/initialization.h) to train from scratch.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "pcmkit/nn/network.h"

namespace pcmkit::nn {

enum class ShortcutType { kA, kB };

struct CifarResNetOptions {
  int depth = 20;                           // 6n + 2 with n ≥ 1: 20, 32, 44, 56, ...
  std::array<Index, 3> widths{16, 32, 64};  // channels of layer1..3, each ≥ 1
  ShortcutType shortcut = ShortcutType::kA;
  Index num_classes = 10;  // ≥ 1
  // The Network's arch name; empty: "resnet<depth>" for widths 16/32/64 with option A, else
  // "cifar_resnet<depth>".
  std::string name;
  // When set, the weights are initialised for training from scratch with this seed
  // (initialize_for_training); else they start at zero.
  std::optional<std::uint64_t> init_seed;
  // Errors: InputError{"", field, problem} for a depth not 6n + 2, a width or class count < 1, or
  //   (option A) widths where w + 2·(w'/4) ≠ w' between consecutive stages.
  void validate() const;
};

// Errors: as CifarResNetOptions::validate. The arch name: see CifarResNetOptions::name.
Network make_cifar_resnet(const CifarResNetOptions& options);

// depth 18 or 34. Errors: InputError{"", "depth", ...} otherwise, or num_classes < 1.
Network make_imagenet_resnet(int depth, Index num_classes = 1000);

// The options of resnet32-pcm (above), named "resnet32-pcm".
CifarResNetOptions resnet32_pcm_options();

// Every name make_resnet knows, CIFAR ones first: "resnet20, resnet32, ..., resnet34".
std::string resnet_names();

// By name: resnet20/32/44/56 (CIFAR, 16/32/64, option A, 10 classes), resnet32-pcm (above),
// resnet18/34 (ImageNet, 1000 classes). Weights start at zero.
// Errors: InputError{"", "arch", ...} naming the known names.
Network make_resnet(const std::string& arch);

}  // namespace pcmkit::nn
