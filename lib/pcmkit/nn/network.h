// A network: a module tree with a name (its architecture), an input channel count and a class
// count, whose forward pass maps a batch of images to logits. The one definition serves
// evaluation and training; PCM and noise act on it through analog_layers().
//
// A training step: zero_grad(); logits = forward_train(images); (loss, dlogits) from nn/loss.h;
// backward(dlogits); an optimiser step on parameters() (nn/sgd.h); refresh() before the next
// evaluation forward() (BatchNorm's folded scale and shift follow γ and β).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pcmkit/nn/module.h"

namespace pcmkit::nn {

class Network {
 public:
  // Takes ownership of `body`, whose output must be [n, num_classes, 1, 1].
  Network(std::string arch, Index in_channels, Index num_classes, std::unique_ptr<Module> body);

  const std::string& arch() const { return arch_; }
  Index in_channels() const { return in_channels_; }
  Index num_classes() const { return num_classes_; }

  // Logits, n × num_classes (evaluation mode). Requires: images.channels() == in_channels()
  //   (PCMKIT_CHECK).
  // Threads: OpenMP over tasks of kImagesPerTask consecutive images, each running the whole
  //   body (cache-friendly, one parallel region per call); while any BatchNorm is in statistics
  //   mode, the body runs once on the whole batch instead (its statistics are per batch). Results
  //   never depend on the thread count; they may differ in the last bits with an image's position
  //   in the batch, which decides which images share a GEMM.
  RowMatrixXf forward(Tensor images);
  // Images per task of forward(); fixed, so that results do not depend on the thread count.
  static constexpr Index kImagesPerTask = 16;

  // Training pass on the whole batch (Module::forward_train): logits, n × num_classes; BatchNorm
  //   uses batch statistics and updates its running statistics. Requires: as forward(), and no
  //   BatchNorm in statistics mode (PCMKIT_CHECK).
  // Threads: OpenMP inside each layer; results are bit-identical for any thread count.
  // Cost: about 3× forward()'s flops with backward(); the caches hold about three activations
  //   per layer until backward() (660 MB peak for resnet32-pcm at batch 128).
  RowMatrixXf forward_train(Tensor images);
  // Backward pass of the last forward_train() for dL/d(logits) = dlogits (n × num_classes):
  //   ADDS each parameter's dL/d(parameter) to its ParameterRef::grad.
  // Requires: forward_train() ran since the last backward(), dlogits of its logits' shape
  //   (PCMKIT_CHECK). Threads: as forward_train().
  void backward(const RowMatrixXf& dlogits);
  // Sets every parameter gradient to zero.
  void zero_grad();
  // Every parameter and buffer, named as PyTorch's state_dict, in module order.
  std::vector<ParameterRef> parameters();
  // Every Conv2d and Linear, in module order.
  std::vector<AnalogLayerRef> analog_layers();
  // Every BatchNorm2d, in module order.
  std::vector<BatchNorm2d*> batch_norms();
  // Recomputes derived state (BatchNorm folding) after parameters changed.
  void refresh() { body_->refresh(); }
  Module& body() { return *body_; }

 private:
  RowMatrixXf run_body(Tensor images);

  std::string arch_;
  Index in_channels_, num_classes_;
  std::unique_ptr<Module> body_;
  Index train_batch_size_ = -1;  // of the last forward_train(), until backward()
};

}  // namespace pcmkit::nn
