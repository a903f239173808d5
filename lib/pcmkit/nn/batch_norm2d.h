// Batch normalisation in evaluation mode (PyTorch's nn.BatchNorm2d, eval()):
//   out[i, c, y, x] = γ_c · (in[i, c, y, x] − μ_c) / sqrt(σ²_c + ε) + β_c
// with the running mean μ and variance σ². It is applied folded, out = scale_c · in + shift_c,
// scale_c = γ_c / sqrt(σ²_c + ε), shift_c = β_c − μ_c · scale_c, computed by refresh().
// Statistics mode (for AdaBS, Joshi et al. 2020; PyTorch's training mode with momentum=None):
// between begin_statistics() and end_statistics(), forward() normalises each batch with its own
// mean and biased variance over (n, h, w), and accumulates the batch mean and unbiased variance;
// end_statistics() sets the running statistics to their averages over the batches (each batch
// weighs the same, as PyTorch's cumulative average) and refreshes. γ and β are not changed.
// Training mode (PyTorch's train(), momentum 0.1): forward_train() normalises each batch with its
// own mean μ_B and biased variance σ²_B over (n, h, w), x̂ = (x − μ_B)/sqrt(σ²_B + ε),
// out = γ·x̂ + β, and updates μ ← 0.9·μ + 0.1·μ_B, σ² ← 0.9·σ² + 0.1·σ²_B·m/(m − 1) (the
// unbiased variance; m = n·h·w). backward(), with sums over (n, h, w):
//   dβ = Σ g,  dγ = Σ g·x̂,  dx = γ/sqrt(σ²_B + ε) · (g − dβ/m − x̂·dγ/m).
// With frozen statistics (set_frozen_statistics), forward_train() normalises with the running μ
// and σ² instead and leaves them unchanged, as PyTorch's eval() BatchNorm under autograd; then
//   dβ = Σ g,  dγ = Σ g·x̂,  dx = γ/sqrt(σ² + ε) · g.
// forward_train_relu() is forward_train() followed by a ReLU in the same pass (backward() then
// takes g through the ReLU first); x̂ is recomputed from the kept input in backward() instead of
// stored: a training step is bound by memory traffic, and this saves two passes over the tensor
// forward and one backward.
// Sums run in float within each plane and in double over the planes, per channel in a fixed
// order (results do not depend on the thread count).
#pragma once

#include <cstdint>

#include "pcmkit/nn/module.h"

namespace pcmkit::nn {

class BatchNorm2d : public Module {
 public:
  // γ = 1, β = 0, μ = 0, σ² = 1 (PyTorch's initial values). Requires: channels ≥ 1, eps > 0.
  explicit BatchNorm2d(Index channels, float eps = 1e-5f);

  Index channels() const { return gamma_.size(); }
  float eps() const { return eps_; }
  Eigen::VectorXf& weight() { return gamma_; }  // γ
  Eigen::VectorXf& bias() { return beta_; }     // β
  Eigen::VectorXf& running_mean() { return mean_; }
  Eigen::VectorXf& running_var() { return var_; }
  const Eigen::VectorXf& scale() const { return scale_; }
  const Eigen::VectorXf& shift() const { return shift_; }

  // Requires: input.channels() == channels() (PCMKIT_CHECK). Works in place.
  // Threads: OpenMP over images.
  Tensor forward(Tensor input) override;
  // Names: weight, bias (trainable), running_mean, running_var (buffers).
  void collect_parameters(const std::string& prefix, std::vector<ParameterRef>& out) override;
  // Recomputes scale and shift from γ, β, μ, σ²; call after changing any of them.
  void refresh() override;
  void collect_batch_norms(std::vector<BatchNorm2d*>& out) override { out.push_back(this); }

  // Running-statistics momentum of the training mode (PyTorch's default).
  static constexpr double kMomentum = 0.1;
  // Training pass, above; keeps the input and the batch statistics for backward(), updates the
  //   running statistics, then refresh()es (so that forward() sees the new statistics; call
  //   Network::refresh() again after changing γ, β). The output is a new tensor.
  // Requires: at least 2 values per channel, not in statistics mode (PCMKIT_CHECK).
  // Threads: OpenMP over channels.
  Tensor forward_train(Tensor input) override;
  // max(forward_train(input), 0) in one pass; backward() then includes the ReLU's (recomputing
  // its decisions from the kept input, so γ and β must not change before backward()).
  // Requires, threads: as forward_train().
  Tensor forward_train_relu(Tensor input);
  // Requires, threads: as Module::backward; OpenMP over images (the result does not depend on
  //   the thread count).
  Tensor backward(Tensor grad_output) override;
  Eigen::VectorXf& weight_grad() { return gamma_grad_; }  // dL/dγ
  Eigen::VectorXf& bias_grad() { return beta_grad_; }     // dL/dβ

  // Frozen statistics, above: for training the last epochs against the statistics the network
  // is evaluated with (noise-induced shifts of a channel are then not normalised away).
  void set_frozen_statistics(bool frozen) { frozen_ = frozen; }
  bool frozen_statistics() const { return frozen_; }

  // Statistics mode, above. end_statistics() without any batch leaves the statistics unchanged.
  void begin_statistics();
  void end_statistics();
  bool in_statistics_mode() const { return collecting_; }

 private:
  float eps_;
  bool collecting_ = false;
  bool frozen_ = false;
  Eigen::VectorXd mean_sum_, var_sum_;  // sums of batch means and unbiased variances
  std::int64_t num_batches_ = 0;
  Eigen::VectorXf gamma_, beta_, mean_, var_, scale_, shift_;
  Eigen::VectorXf gamma_grad_, beta_grad_;
  Tensor train_pass(Tensor input, bool relu);
  Tensor train_input_;                    // forward_train()'s input, until backward()
  Eigen::VectorXf batch_mean_, inv_std_;  // the μ and 1/sqrt(σ² + ε) it used, as floats
  bool relu_after_ = false;               // forward_train_relu() made the output
  bool used_frozen_ = false;              // it normalised with the running statistics
  bool has_train_cache_ = false;
};

}  // namespace pcmkit::nn
