// Batch normalisation in evaluation mode (PyTorch's nn.BatchNorm2d, eval()):
//   out[i, c, y, x] = γ_c · (in[i, c, y, x] − μ_c) / sqrt(σ²_c + ε) + β_c
// with the running mean μ and variance σ². It is applied folded, out = scale_c · in + shift_c,
// scale_c = γ_c / sqrt(σ²_c + ε), shift_c = β_c − μ_c · scale_c, computed by refresh().
// Statistics mode (for AdaBS, Joshi et al. 2020; PyTorch's training mode with momentum=None):
// between begin_statistics() and end_statistics(), forward() normalises each batch with its own
// mean and biased variance over (n, h, w), and accumulates the batch mean and unbiased variance;
// end_statistics() sets the running statistics to their averages over the batches (each batch
// weighs the same, as PyTorch's cumulative average) and refreshes. γ and β are not changed.
// Not modelled yet: gradients in training mode, TODO(#4).
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

  // Statistics mode, above. end_statistics() without any batch leaves the statistics unchanged.
  void begin_statistics();
  void end_statistics();
  bool in_statistics_mode() const { return collecting_; }

 private:
  float eps_;
  bool collecting_ = false;
  Eigen::VectorXd mean_sum_, var_sum_;  // sums of batch means and unbiased variances
  std::int64_t num_batches_ = 0;
  Eigen::VectorXf gamma_, beta_, mean_, var_, scale_, shift_;
};

}  // namespace pcmkit::nn
