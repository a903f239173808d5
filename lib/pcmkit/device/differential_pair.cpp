#include "pcmkit/device/differential_pair.h"

#include "pcmkit/core/error.h"

namespace pcmkit::device {

PairTargets weights_to_pair_targets(const Eigen::Ref<const Eigen::ArrayXd>& weights,
                                    double w_max,
                                    double g_max_uS) {
  PCMKIT_CHECK(w_max > 0 && g_max_uS > 0, "w_max and g_max_uS must be > 0");
  PCMKIT_CHECK((weights.abs() <= w_max).all(), "|w| must not exceed w_max");
  // Divide first: |w| = w_max gives exactly G_max (w·(G_max/W_max) can overshoot by an ulp).
  return {weights.max(0.0) / w_max * g_max_uS, (-weights).max(0.0) / w_max * g_max_uS};
}

Eigen::ArrayXd pair_to_weights(const Eigen::Ref<const Eigen::ArrayXd>& g_plus_uS,
                               const Eigen::Ref<const Eigen::ArrayXd>& g_minus_uS,
                               double w_max,
                               double g_max_uS) {
  PCMKIT_CHECK(g_plus_uS.size() == g_minus_uS.size(), "G+ and G- sizes differ");
  PCMKIT_CHECK(w_max > 0 && g_max_uS > 0, "w_max and g_max_uS must be > 0");
  return (g_plus_uS - g_minus_uS) / g_max_uS * w_max;  // G = G_max gives exactly W_max
}

}  // namespace pcmkit::device
