// Knowledge distillation (Hinton, Vinyals & Dean 2015): the student learns from the labels and
// from a teacher's softened class probabilities q (for an ensemble, the mean of its members'):
//   L = (1 − α)·CE(z, y; ε) + α·T²·(1/n)·Σ_i KL(q_i ‖ softmax(z_i/T)),
// as PyTorch's (1 − α)·F.cross_entropy(z, y, label_smoothing=ε) +
//   α·T²·F.kl_div(F.log_softmax(z/T, 1), q, reduction="batchmean"), with
//   dL/dz_i = (1 − α)·(softmax(z_i) − q_ε,i)/n + α·T·(softmax(z_i/T) − q_i)/n.
// The T² keeps the soft term's gradient on the scale of the hard one's as T changes.
#pragma once

#include <span>
#include <vector>

#include "pcmkit/nn/loss.h"
#include "pcmkit/nn/network.h"
#include "pcmkit/nn/tensor.h"

namespace pcmkit::nn {

// softmax(logits/T) per row, computed in double. Requires: T > 0, finite logits (PCMKIT_CHECK).
RowMatrixXf softened_probabilities(const RowMatrixXf& logits, double temperature);

// An ensemble's soft targets: the mean over the networks (in evaluation mode) of
// softened_probabilities(network.forward(images), T), summed in order, then divided.
// Requires: at least one network (PCMKIT_CHECK).
RowMatrixXf ensemble_probabilities(const std::vector<Network*>& networks,
                                   const Tensor& images,
                                   double temperature);

// The loss above; num_correct counts the student's top-1 hits on the labels.
// Requires: teacher_probabilities of the logits' shape, rows summing to 1; weight α in [0, 1];
//   T > 0; as softmax_cross_entropy otherwise (PCMKIT_CHECK).
CrossEntropyResult distillation_loss(const RowMatrixXf& logits,
                                     std::span<const int> labels,
                                     const RowMatrixXf& teacher_probabilities,
                                     double weight,
                                     double temperature,
                                     double label_smoothing = 0.0);

// The same with probability targets for the hard term (mixup, CutMix: data/batch_mixing.h), as
// (1 − α)·F.cross_entropy(z, targets, label_smoothing=ε) + the soft term above.
// Requires: as above, and as the probability-target softmax_cross_entropy (PCMKIT_CHECK).
CrossEntropyResult distillation_loss(const RowMatrixXf& logits,
                                     const RowMatrixXf& targets,
                                     const RowMatrixXf& teacher_probabilities,
                                     double weight,
                                     double temperature,
                                     double label_smoothing = 0.0);

}  // namespace pcmkit::nn
