#include "pcmkit/nn/sgd.h"

#include <cmath>

#include "pcmkit/core/error.h"

namespace pcmkit::nn {

void SgdOptions::validate() const {
  if (!(momentum >= 0.0 && momentum < 1.0))
    throw InputError("", "momentum", "must be in [0, 1), got " + std::to_string(momentum));
  if (nesterov && momentum == 0.0)
    throw InputError("", "nesterov", "Nesterov momentum requires momentum > 0");
  if (!(weight_decay >= 0.0 && std::isfinite(weight_decay)))
    throw InputError("", "weight_decay", "must be >= 0, got " + std::to_string(weight_decay));
}

Sgd::Sgd(std::vector<ParameterRef> parameters, SgdOptions options) : options_(options) {
  options_.validate();
  for (ParameterRef& p : parameters) {
    if (!p.trainable || p.grad.empty()) continue;
    PCMKIT_CHECK(p.grad.size() == p.values.size(), "Sgd: gradient size differs for " + p.name);
    if (options_.momentum > 0.0) buffers_.emplace_back(p.values.size(), 0.0f);
    parameters_.push_back(std::move(p));
  }
}

void Sgd::step(double learning_rate) {
  PCMKIT_CHECK(learning_rate >= 0.0 && std::isfinite(learning_rate),
               "Sgd::step: invalid learning rate");
  const float lr = static_cast<float>(learning_rate);
  const float mu = static_cast<float>(options_.momentum);
  const bool use_momentum = options_.momentum > 0.0;
  for (std::size_t k = 0; k < parameters_.size(); ++k) {
    ParameterRef& p = parameters_[k];
    const bool decay = options_.decay_batch_norm_and_bias || p.shape.size() != 1;
    const float lambda = decay ? static_cast<float>(options_.weight_decay) : 0.0f;
    float* buffer = use_momentum ? buffers_[k].data() : nullptr;
    for (std::size_t j = 0; j < p.values.size(); ++j) {
      float d = p.grad[j];
      if (lambda != 0.0f) d = d + lambda * p.values[j];
      if (use_momentum) {
        buffer[j] = mu * buffer[j] + d;
        d = options_.nesterov ? d + mu * buffer[j] : buffer[j];
      }
      p.values[j] = p.values[j] - lr * d;
    }
  }
}

std::vector<MomentumBufferRef> Sgd::momentum_buffers() {
  std::vector<MomentumBufferRef> out;
  for (std::size_t k = 0; k < buffers_.size(); ++k)
    out.push_back({parameters_[k].name, {buffers_[k].data(), buffers_[k].size()}});
  return out;
}

}  // namespace pcmkit::nn
