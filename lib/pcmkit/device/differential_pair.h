// A signed weight on a differential pair of PCM devices (G+, G−), as in Joshi et al. 2020:
//   G+ = G_max·max(w, 0)/W_max,  G− = G_max·max(−w, 0)/W_max,  w = (G+ − G−)·W_max/G_max.
// One device of each pair stays at 0 µS (its target); both drift and are read independently.
#pragma once

#include <Eigen/Core>

namespace pcmkit::device {

struct PairTargets {
  Eigen::ArrayXd g_plus_uS;
  Eigen::ArrayXd g_minus_uS;
};

// Requires: w_max > 0, g_max_uS > 0, every |w| ≤ w_max (InternalError otherwise).
PairTargets weights_to_pair_targets(const Eigen::Ref<const Eigen::ArrayXd>& weights,
                                    double w_max,
                                    double g_max_uS);

// w = (G+ − G−)·W_max/G_max. Requires: equal sizes, w_max > 0, g_max_uS > 0.
Eigen::ArrayXd pair_to_weights(const Eigen::Ref<const Eigen::ArrayXd>& g_plus_uS,
                               const Eigen::Ref<const Eigen::ArrayXd>& g_minus_uS,
                               double w_max,
                               double g_max_uS);

}  // namespace pcmkit::device
