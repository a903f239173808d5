#include "pcmkit/analog/drift_compensation.h"

#include <cmath>

#include "pcmkit/core/error.h"

namespace pcmkit::analog {

double global_drift_compensation(const Eigen::Ref<const Eigen::ArrayXf>& w_ref,
                                 const Eigen::Ref<const Eigen::ArrayXf>& w_t) {
  PCMKIT_CHECK(w_ref.size() == w_t.size(), "GDC: sizes differ");
  double ref = 0, now = 0;
  for (Eigen::Index i = 0; i < w_ref.size(); ++i) {
    ref += std::abs(static_cast<double>(w_ref[i]));
    now += std::abs(static_cast<double>(w_t[i]));
  }
  return now > 0 ? ref / now : 1.0;
}

}  // namespace pcmkit::analog
