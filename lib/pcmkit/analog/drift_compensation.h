// Global drift compensation (GDC, Joshi et al. 2020): a layer's drifted weights W(t) are scaled in
// digital by α(t) = Σ|W(t_ref)| / Σ|W(t)|, with W(t_ref) one read right after programming.
// For a linear layer, scaling the output equals scaling the weight.
#pragma once

#include <Eigen/Core>

namespace pcmkit::analog {

// α = Σ|w_ref| / Σ|w_t|; 1 when Σ|w_t| is 0. Sums in double, in index order (the same result for
// any thread count). Requires: equal sizes (InternalError).
double global_drift_compensation(const Eigen::Ref<const Eigen::ArrayXf>& w_ref,
                                 const Eigen::Ref<const Eigen::ArrayXf>& w_t);

}  // namespace pcmkit::analog
