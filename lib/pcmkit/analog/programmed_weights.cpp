#include "pcmkit/analog/programmed_weights.h"

#include <cmath>

#include "pcmkit/core/error.h"

namespace pcmkit::analog {

ProgrammedWeights::ProgrammedWeights(const device::PcmModel& model,
                                     const Eigen::Ref<const Eigen::ArrayXf>& weights,
                                     std::uint64_t seed,
                                     std::uint64_t first_item)
    : model_(model), seed_(seed), size_(weights.size()) {
  PCMKIT_CHECK(weights.allFinite(), "weights must be finite");
  w_max_ = weights.size() ? static_cast<double>(weights.abs().maxCoeff()) : 0.0;
  // Targets of the pair, interleaved (G+ at 2i, G− at 2i + 1) so that items stay local.
  Eigen::ArrayXd g_target_uS = Eigen::ArrayXd::Zero(2 * size_);
  if (w_max_ > 0) {
    const double scale = model.g_max_uS / w_max_;
    for (Eigen::Index i = 0; i < size_; ++i) {
      const double w = weights[i];
      // min() keeps |w| = W_max exactly at G_max despite rounding.
      g_target_uS[2 * i] = std::min(std::max(w, 0.0) * scale, model.g_max_uS);
      g_target_uS[2 * i + 1] = std::min(std::max(-w, 0.0) * scale, model.g_max_uS);
    }
  }
  devices_ = device::program_devices(model, g_target_uS, seed, first_item);
}

Eigen::ArrayXf ProgrammedWeights::read_weights(double t_s, std::uint64_t read_index) const {
  const Eigen::ArrayXd g_uS = device::read_conductance_uS(model_, devices_, t_s, seed_, read_index);
  Eigen::ArrayXf w(size_);
  const double scale = w_max_ / model_.g_max_uS;
  for (Eigen::Index i = 0; i < size_; ++i)
    w[i] = static_cast<float>((g_uS[2 * i] - g_uS[2 * i + 1]) * scale);
  return w;
}

double global_drift_compensation(const Eigen::Ref<const Eigen::ArrayXf>& w_ref,
                                 const Eigen::Ref<const Eigen::ArrayXf>& w_t) {
  PCMKIT_CHECK(w_ref.size() == w_t.size(), "GDC: sizes differ");
  // Sums in double, in index order: the same result whatever the thread count.
  double ref = 0, now = 0;
  for (Eigen::Index i = 0; i < w_ref.size(); ++i) {
    ref += std::abs(static_cast<double>(w_ref[i]));
    now += std::abs(static_cast<double>(w_t[i]));
  }
  return now > 0 ? ref / now : 1.0;
}

}  // namespace pcmkit::analog
