// Fully connected layer, as PyTorch's nn.Linear on the flattened input:
//   out[i, o] = b[o] + Σ_j W[o, j] · in[i, j],  j over channels·height·width.
// The output is a tensor [n, out_features, 1, 1].
// Backward (G = dL/d(out), n × out; X the flattened input, n × in):
//   dW += Gᵀ·X, db += column sums of G, dX = G·forward_weight() (the effective weight when set;
//   dW goes to the master weight's gradient, see AnalogLayer).
#pragma once

#include "pcmkit/nn/module.h"

namespace pcmkit::nn {

class Linear : public Module, public AnalogLayer {
 public:
  // Zero weight [out_features, in_features] and zero bias [out_features] (if `bias`).
  // Requires: both sizes ≥ 1 (PCMKIT_CHECK).
  Linear(Index in_features, Index out_features, bool bias = true);

  Index in_features() const { return weight_.cols(); }
  Index out_features() const { return weight_.rows(); }

  // Requires: input.image_size() == in_features (PCMKIT_CHECK).
  // Threads: one GEMM over the whole batch, single-threaded (the layer is tiny).
  Tensor forward(Tensor input) override;
  void collect_parameters(const std::string& prefix, std::vector<ParameterRef>& out) override;
  void collect_analog_layers(const std::string& prefix, std::vector<AnalogLayerRef>& out) override;
  // Training: forward(), caching the input. Threads: single-threaded GEMMs (deterministic).
  Tensor forward_train(Tensor input) override;
  Tensor backward(Tensor grad_output) override;

 private:
  Tensor train_input_;  // forward_train()'s input, until backward()
  bool has_train_input_ = false;
};

}  // namespace pcmkit::nn
