// The ResNet basic block (He et al. 2016, Fig. 2 left):
//   out = relu( bn2(conv2( relu(bn1(conv1(x))) )) + shortcut(x) )
// conv1 is 3×3 with the block's stride, conv2 3×3 stride 1, both without bias. The shortcut is
// the identity, ShortcutA, or a projection Sequential{"0": 1×1 conv (stride), "1": BatchNorm2d}.
#pragma once

#include <memory>
#include <string>

#include "pcmkit/nn/activation.h"
#include "pcmkit/nn/batch_norm2d.h"
#include "pcmkit/nn/conv2d.h"
#include "pcmkit/nn/module.h"

namespace pcmkit::nn {

class BasicBlock : public Module {
 public:
  // `shortcut` may be null (identity); it is named `shortcut_name` ("shortcut" in CIFAR code,
  // "downsample" in torchvision). Requires: stride ≥ 1, channels ≥ 1 (PCMKIT_CHECK).
  BasicBlock(Index in_planes,
             Index planes,
             Index stride,
             std::unique_ptr<Module> shortcut,
             std::string shortcut_name);

  // Requires: the shortcut's output has the main path's shape (PCMKIT_CHECK).
  Tensor forward(Tensor input) override;
  void collect_parameters(const std::string& prefix, std::vector<ParameterRef>& out) override;
  void collect_analog_layers(const std::string& prefix, std::vector<AnalogLayerRef>& out) override;
  void collect_batch_norms(std::vector<BatchNorm2d*>& out) override;
  void refresh() override;
  // Training: the layers' forward_train() one after the other (BatchNorm needs the whole batch
  // before it can normalise), with bn1 applying the first ReLU and relu2 the residual add in
  // the same pass; the shortcut's on the same input. Backward: dx = d(main path) + d(shortcut).
  Tensor forward_train(Tensor input) override;
  Tensor backward(Tensor grad_output) override;

 private:
  Conv2d conv1_;
  BatchNorm2d bn1_;
  Conv2d conv2_;
  BatchNorm2d bn2_;
  ReLU relu2_;  // after the residual add (bn1 applies the first ReLU itself when training)
  std::unique_ptr<Module> shortcut_;
  std::string shortcut_name_;
};

// The projection shortcut: Sequential{"0": Conv2d 1×1 (stride, no bias), "1": BatchNorm2d}.
std::unique_ptr<Module> make_projection_shortcut(Index in_planes, Index planes, Index stride);

}  // namespace pcmkit::nn
