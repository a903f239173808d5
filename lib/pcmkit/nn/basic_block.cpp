#include "pcmkit/nn/basic_block.h"

#include "pcmkit/core/error.h"

namespace pcmkit::nn {

BasicBlock::BasicBlock(Index in_planes,
                       Index planes,
                       Index stride,
                       std::unique_ptr<Module> shortcut,
                       std::string shortcut_name)
    : conv1_(in_planes, planes, 3, stride, 1),
      bn1_(planes),
      conv2_(planes, planes, 3, 1, 1),
      bn2_(planes),
      shortcut_(std::move(shortcut)),
      shortcut_name_(std::move(shortcut_name)) {}

Tensor BasicBlock::forward(Tensor input) {
  if (!bn1_.in_statistics_mode() && !bn2_.in_statistics_mode()) {
    // Evaluation: BN, ReLU and the residual add run inside the convolutions' output pass, and
    // the identity shortcut reads the input in place instead of copying it.
    Tensor projected;
    if (shortcut_) projected = shortcut_->forward(input);
    const Tensor& residual = shortcut_ ? projected : input;
    const Tensor mid = conv1_.forward_fused(input, {&bn1_.scale(), &bn1_.shift(), nullptr, true});
    return conv2_.forward_fused(mid, {&bn2_.scale(), &bn2_.shift(), &residual, true});
  }
  // Statistics mode: each BatchNorm must see its whole input before normalising it.
  Tensor residual = shortcut_ ? shortcut_->forward(input) : input;
  Tensor out = conv1_.forward(std::move(input));
  out = bn1_.forward(std::move(out));
  out = ReLU().forward(std::move(out));
  out = conv2_.forward(std::move(out));
  out = bn2_.forward(std::move(out));
  PCMKIT_CHECK(out.same_shape(residual), "BasicBlock: shortcut output " + residual.shape_text() +
                                             " differs from the main path " + out.shape_text());
  const Index n = out.n();
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i) {
    Eigen::Map<RowMatrixXf> image = out.image(i);
    image = (image + residual.image(i)).cwiseMax(0.0f);
  }
  return out;
}

void BasicBlock::collect_parameters(const std::string& prefix, std::vector<ParameterRef>& out) {
  conv1_.collect_parameters(join_name(prefix, "conv1"), out);
  bn1_.collect_parameters(join_name(prefix, "bn1"), out);
  conv2_.collect_parameters(join_name(prefix, "conv2"), out);
  bn2_.collect_parameters(join_name(prefix, "bn2"), out);
  if (shortcut_) shortcut_->collect_parameters(join_name(prefix, shortcut_name_), out);
}

void BasicBlock::collect_analog_layers(const std::string& prefix,
                                       std::vector<AnalogLayerRef>& out) {
  conv1_.collect_analog_layers(join_name(prefix, "conv1"), out);
  conv2_.collect_analog_layers(join_name(prefix, "conv2"), out);
  if (shortcut_) shortcut_->collect_analog_layers(join_name(prefix, shortcut_name_), out);
}

void BasicBlock::collect_batch_norms(std::vector<BatchNorm2d*>& out) {
  out.push_back(&bn1_);
  out.push_back(&bn2_);
  if (shortcut_) shortcut_->collect_batch_norms(out);
}

void BasicBlock::refresh() {
  bn1_.refresh();
  bn2_.refresh();
  if (shortcut_) shortcut_->refresh();
}

std::unique_ptr<Module> make_projection_shortcut(Index in_planes, Index planes, Index stride) {
  auto projection = std::make_unique<Sequential>();
  projection->emplace<Conv2d>("0", in_planes, planes, 1, stride, 0);
  projection->emplace<BatchNorm2d>("1", planes);
  return projection;
}

Tensor BasicBlock::forward_train(Tensor input) {
  // The shortcut keeps its own copy of the input (up to 8 MB), copied by all threads.
  Tensor projected;
  if (shortcut_) projected = shortcut_->forward_train(parallel_copy(input));
  Tensor out = conv1_.forward_train(std::move(input));
  // The identity shortcut reads the block input that conv1 keeps for its backward pass.
  const Tensor& residual = shortcut_ ? projected : conv1_.train_input();
  out = bn1_.forward_train_relu(std::move(out));
  out = conv2_.forward_train(std::move(out));
  out = bn2_.forward_train(std::move(out));
  PCMKIT_CHECK(out.same_shape(residual), "BasicBlock: shortcut output " + residual.shape_text() +
                                             " differs from the main path " + out.shape_text());
  return relu2_.forward_train_after_add(std::move(out), residual);
}

Tensor BasicBlock::backward(Tensor grad_output) {
  Tensor grad_sum = relu2_.backward(std::move(grad_output));
  Tensor grad_shortcut = parallel_copy(grad_sum);  // all threads copy (up to 8 MB)
  if (shortcut_) grad_shortcut = shortcut_->backward(std::move(grad_shortcut));
  Tensor grad = bn2_.backward(std::move(grad_sum));
  grad = conv2_.backward(std::move(grad));
  grad = bn1_.backward(std::move(grad));  // through the ReLU too
  grad = conv1_.backward(std::move(grad));
  PCMKIT_CHECK(grad.same_shape(grad_shortcut), "BasicBlock::backward: shortcut gradient " +
                                                   grad_shortcut.shape_text() + " differs from " +
                                                   grad.shape_text());
  add_in_place(grad, grad_shortcut);
  return grad;
}

}  // namespace pcmkit::nn
