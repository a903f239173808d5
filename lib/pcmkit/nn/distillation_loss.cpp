#include "pcmkit/nn/distillation_loss.h"

#include <cmath>
#include <string>
#include <vector>

#include "pcmkit/core/error.h"

namespace pcmkit::nn {
namespace {

// log softmax(z/T) of one row, in double.
void log_softmax_row(const RowMatrixXf& logits, Index i, double temperature, double* out) {
  const Index k = logits.cols();
  double max_z = logits(i, 0) / temperature;
  for (Index c = 1; c < k; ++c) max_z = std::max(max_z, logits(i, c) / temperature);
  double sum_exp = 0;
  for (Index c = 0; c < k; ++c) sum_exp += std::exp(logits(i, c) / temperature - max_z);
  const double log_sum = std::log(sum_exp);
  for (Index c = 0; c < k; ++c) out[c] = logits(i, c) / temperature - max_z - log_sum;
}

}  // namespace

RowMatrixXf softened_probabilities(const RowMatrixXf& logits, double temperature) {
  PCMKIT_CHECK(temperature > 0 && std::isfinite(temperature),
               "softened_probabilities: temperature <= 0");
  PCMKIT_CHECK(logits.allFinite(), "softened_probabilities: non-finite logits");
  RowMatrixXf p(logits.rows(), logits.cols());
  std::vector<double> log_p(static_cast<std::size_t>(logits.cols()));
  for (Index i = 0; i < logits.rows(); ++i) {
    log_softmax_row(logits, i, temperature, log_p.data());
    for (Index c = 0; c < logits.cols(); ++c)
      p(i, c) = static_cast<float>(std::exp(log_p[static_cast<std::size_t>(c)]));
  }
  return p;
}

RowMatrixXf ensemble_probabilities(const std::vector<Network*>& networks,
                                   const Tensor& images,
                                   double temperature) {
  PCMKIT_CHECK(!networks.empty(), "ensemble_probabilities: no network");
  RowMatrixXf mean = RowMatrixXf::Zero(images.n(), networks.front()->num_classes());
  for (Network* network : networks)
    mean += softened_probabilities(network->forward(images), temperature);
  mean /= static_cast<float>(networks.size());
  return mean;
}

namespace {

void check_distillation(const RowMatrixXf& logits,
                        const RowMatrixXf& teacher_probabilities,
                        double weight,
                        double temperature) {
  PCMKIT_CHECK(weight >= 0 && weight <= 1, "distillation_loss: weight outside [0, 1]");
  PCMKIT_CHECK(temperature > 0 && std::isfinite(temperature),
               "distillation_loss: temperature <= 0");
  PCMKIT_CHECK(teacher_probabilities.rows() == logits.rows() &&
                   teacher_probabilities.cols() == logits.cols(),
               "distillation_loss: teacher probabilities of another shape than the logits");
}

// (1 − α)·hard + α·(the soft term), loss and gradient, `hard` being the cross-entropy's result.
CrossEntropyResult with_soft_term(CrossEntropyResult result,
                                  const RowMatrixXf& logits,
                                  const RowMatrixXf& teacher_probabilities,
                                  double weight,
                                  double temperature) {
  const Index n = logits.rows(), k = logits.cols();
  std::vector<double> log_p(static_cast<std::size_t>(k));
  double kl_sum = 0;
  for (Index i = 0; i < n; ++i) {
    double q_sum = 0;
    for (Index c = 0; c < k; ++c) {
      PCMKIT_CHECK(teacher_probabilities(i, c) >= 0.0f,
                   "distillation_loss: negative teacher probability");
      q_sum += teacher_probabilities(i, c);
    }
    PCMKIT_CHECK(std::abs(q_sum - 1.0) < 1e-3, "distillation_loss: teacher row " +
                                                   std::to_string(i) + " sums to " +
                                                   std::to_string(q_sum) + ", not 1");
    log_softmax_row(logits, i, temperature, log_p.data());
    for (Index c = 0; c < k; ++c) {
      const double q = teacher_probabilities(i, c), lp = log_p[static_cast<std::size_t>(c)];
      if (q > 0) kl_sum += q * (std::log(q) - lp);  // 0·log 0 = 0, as PyTorch's xlogy
      const double soft = temperature * (std::exp(lp) - q) / static_cast<double>(n);
      result.dlogits(i, c) =
          static_cast<float>((1 - weight) * result.dlogits(i, c) + weight * soft);
    }
  }
  result.loss = (1 - weight) * result.loss +
                weight * temperature * temperature * kl_sum / static_cast<double>(n);
  return result;
}

}  // namespace

CrossEntropyResult distillation_loss(const RowMatrixXf& logits,
                                     std::span<const int> labels,
                                     const RowMatrixXf& teacher_probabilities,
                                     double weight,
                                     double temperature,
                                     double label_smoothing) {
  check_distillation(logits, teacher_probabilities, weight, temperature);
  return with_soft_term(softmax_cross_entropy(logits, labels, label_smoothing), logits,
                        teacher_probabilities, weight, temperature);
}

CrossEntropyResult distillation_loss(const RowMatrixXf& logits,
                                     const RowMatrixXf& targets,
                                     const RowMatrixXf& teacher_probabilities,
                                     double weight,
                                     double temperature,
                                     double label_smoothing) {
  check_distillation(logits, teacher_probabilities, weight, temperature);
  return with_soft_term(softmax_cross_entropy(logits, targets, label_smoothing), logits,
                        teacher_probabilities, weight, temperature);
}

}  // namespace pcmkit::nn
