#include "pcmkit/nn/loss.h"

#include <cmath>
#include <string>

#include "pcmkit/core/error.h"

namespace pcmkit::nn {
namespace {

// Row i's share of the loss, −Σ_k q_k·log p_k, subtracted from `total`, and its gradient
// (p − q)/n into `dlogits`; p = softmax(z_i) in double around its largest logit z_i[best].
template <class Target>
void add_row(const RowMatrixXf& logits,
             Index i,
             Index best,
             const Target& q_of,
             double& total,
             RowMatrixXf& dlogits) {
  const Index n = logits.rows(), num_classes = logits.cols();
  const double max_logit = logits(i, best);
  double sum_exp = 0;
  for (Index k = 0; k < num_classes; ++k) sum_exp += std::exp(logits(i, k) - max_logit);
  const double log_sum = std::log(sum_exp);
  for (Index k = 0; k < num_classes; ++k) {
    const double log_p = logits(i, k) - max_logit - log_sum;
    const double q = q_of(k);
    total -= q * log_p;
    dlogits(i, k) = static_cast<float>((std::exp(log_p) - q) / static_cast<double>(n));
  }
}

}  // namespace

CrossEntropyResult softmax_cross_entropy(const RowMatrixXf& logits,
                                         std::span<const int> labels,
                                         double label_smoothing) {
  const Index n = logits.rows(), num_classes = logits.cols();
  PCMKIT_CHECK(n >= 1 && static_cast<Index>(labels.size()) == n,
               "softmax_cross_entropy: " + std::to_string(labels.size()) + " labels for " +
                   std::to_string(n) + " rows of logits");
  PCMKIT_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0,
               "softmax_cross_entropy: label smoothing outside [0, 1]");
  PCMKIT_CHECK(logits.allFinite(), "softmax_cross_entropy: non-finite logits");
  CrossEntropyResult result;
  result.dlogits.resize(n, num_classes);
  const double off_target = label_smoothing / static_cast<double>(num_classes);
  const double on_target = 1.0 - label_smoothing + off_target;
  double total = 0;
  for (Index i = 0; i < n; ++i) {
    const int label = labels[static_cast<std::size_t>(i)];
    PCMKIT_CHECK(label >= 0 && label < num_classes, "softmax_cross_entropy: label " +
                                                        std::to_string(label) + " outside [0, " +
                                                        std::to_string(num_classes) + ")");
    Index best = 0;
    for (Index k = 1; k < num_classes; ++k)
      if (logits(i, k) > logits(i, best)) best = k;
    if (best == label) ++result.num_correct;
    add_row(
        logits, i, best, [&](Index k) { return k == label ? on_target : off_target; }, total,
        result.dlogits);
  }
  result.loss = total / static_cast<double>(n);
  return result;
}

CrossEntropyResult softmax_cross_entropy(const RowMatrixXf& logits,
                                         const RowMatrixXf& targets,
                                         double label_smoothing) {
  const Index n = logits.rows(), num_classes = logits.cols();
  PCMKIT_CHECK(n >= 1 && targets.rows() == n && targets.cols() == num_classes,
               "softmax_cross_entropy: targets of another shape than the logits");
  PCMKIT_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0,
               "softmax_cross_entropy: label smoothing outside [0, 1]");
  PCMKIT_CHECK(logits.allFinite(), "softmax_cross_entropy: non-finite logits");
  CrossEntropyResult result;
  result.dlogits.resize(n, num_classes);
  const double uniform = label_smoothing / static_cast<double>(num_classes);
  double total = 0;
  for (Index i = 0; i < n; ++i) {
    double target_sum = 0;
    Index best = 0, target_best = 0;
    for (Index k = 0; k < num_classes; ++k) {
      PCMKIT_CHECK(targets(i, k) >= 0.0f, "softmax_cross_entropy: negative target probability");
      target_sum += targets(i, k);
      if (logits(i, k) > logits(i, best)) best = k;
      if (targets(i, k) > targets(i, target_best)) target_best = k;
    }
    PCMKIT_CHECK(std::abs(target_sum - 1.0) < 1e-3, "softmax_cross_entropy: target row " +
                                                        std::to_string(i) + " sums to " +
                                                        std::to_string(target_sum) + ", not 1");
    if (best == target_best) ++result.num_correct;
    add_row(
        logits, i, best, [&](Index k) { return (1.0 - label_smoothing) * targets(i, k) + uniform; },
        total, result.dlogits);
  }
  result.loss = total / static_cast<double>(n);
  return result;
}

}  // namespace pcmkit::nn
