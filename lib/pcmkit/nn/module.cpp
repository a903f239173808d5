#include "pcmkit/nn/module.h"

#include "pcmkit/core/error.h"

namespace pcmkit::nn {

void AnalogLayer::set_effective_weight(RowMatrixXf w) {
  PCMKIT_CHECK(w.rows() == weight_.rows() && w.cols() == weight_.cols(),
               "set_effective_weight: shape differs from the master weight");
  effective_ = std::move(w);
}

void AnalogLayer::collect_weight_and_bias(const std::string& prefix,
                                          std::vector<Index> weight_shape,
                                          std::vector<ParameterRef>& out) {
  const auto span = [](auto& values) {
    return std::span<float>(values.data(), static_cast<std::size_t>(values.size()));
  };
  out.push_back({join_name(prefix, "weight"), std::move(weight_shape), span(weight_), true,
                 span(weight_grad_)});
  if (has_bias())
    out.push_back({join_name(prefix, "bias"), {bias_.size()}, span(bias_), true, span(bias_grad_)});
}

Tensor Module::forward_train(Tensor) {
  PCMKIT_CHECK(false, "this module has no training mode");
  return {};
}

Tensor Module::backward(Tensor) {
  PCMKIT_CHECK(false, "this module has no backward pass");
  return {};
}

void Module::collect_parameters(const std::string&, std::vector<ParameterRef>&) {}

void Module::collect_analog_layers(const std::string&, std::vector<AnalogLayerRef>&) {}

void Module::collect_batch_norms(std::vector<BatchNorm2d*>&) {}

std::string join_name(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

Tensor Sequential::forward(Tensor input) {
  for (auto& [name, module] : children_) input = module->forward(std::move(input));
  return input;
}

Tensor Sequential::forward_train(Tensor input) {
  for (auto& [name, module] : children_) input = module->forward_train(std::move(input));
  return input;
}

Tensor Sequential::backward(Tensor grad_output) {
  for (auto it = children_.rbegin(); it != children_.rend(); ++it)
    grad_output = it->second->backward(std::move(grad_output));
  return grad_output;
}

void Sequential::collect_parameters(const std::string& prefix, std::vector<ParameterRef>& out) {
  for (auto& [name, module] : children_) module->collect_parameters(join_name(prefix, name), out);
}

void Sequential::collect_analog_layers(const std::string& prefix,
                                       std::vector<AnalogLayerRef>& out) {
  for (auto& [name, module] : children_)
    module->collect_analog_layers(join_name(prefix, name), out);
}

void Sequential::collect_batch_norms(std::vector<BatchNorm2d*>& out) {
  for (auto& child : children_) child.second->collect_batch_norms(out);
}

void Sequential::refresh() {
  for (auto& child : children_) child.second->refresh();
}

}  // namespace pcmkit::nn
