// Softmax cross-entropy with label smoothing, averaged over the batch, as PyTorch's
// F.cross_entropy(logits, labels, label_smoothing=ε) (reduction "mean"). With K classes,
// p = softmax(z_i) and the smoothed target q = (1 − ε)·onehot(y_i) + ε/K:
//   loss = (1/n) Σ_i Σ_k −q_k · log p_k,   dL/dz_i = (p − q)/n.
// log p is computed as z − max z − log Σ exp(z − max z), in double.
#pragma once

#include <span>

#include "pcmkit/nn/tensor.h"

namespace pcmkit::nn {

struct CrossEntropyResult {
  double loss = 0;        // mean over the batch
  RowMatrixXf dlogits;    // dL/d(logits), n × K
  Index num_correct = 0;  // images whose first largest logit is at their label (top-1)
};

// Requires: labels.size() == logits.rows() ≥ 1, every label in [0, K), 0 ≤ label_smoothing ≤ 1,
//   finite logits (PCMKIT_CHECK). Threads: single-threaded (n·K work).
CrossEntropyResult softmax_cross_entropy(const RowMatrixXf& logits,
                                         std::span<const int> labels,
                                         double label_smoothing = 0.0);

// The same with probability targets (each row a distribution over the K classes, e.g. mixup's
// λ·onehot(a) + (1 − λ)·onehot(b), data/batch_mixing.h), as PyTorch's
// F.cross_entropy(logits, targets, label_smoothing=ε): q = (1 − ε)·t + ε/K in the sums above.
// num_correct counts the rows whose first largest logit is at the target's first largest entry.
// Requires: targets of the logits' shape, entries ≥ 0, rows summing to 1 (within 1e-3); as above
//   otherwise (PCMKIT_CHECK).
CrossEntropyResult softmax_cross_entropy(const RowMatrixXf& logits,
                                         const RowMatrixXf& targets,
                                         double label_smoothing = 0.0);

}  // namespace pcmkit::nn
