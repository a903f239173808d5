#include "pcmkit/calibration/detail/drift_regression.h"

#include <cmath>

#include "pcmkit/core/error.h"

namespace pcmkit::calibration {

double log_read_bias(double s) {
  const double s2 = s * s;
  return -s2 / 2 - 3 * s2 * s2 / 4 - 5 * s2 * s2 * s2 / 2;
}

double log_read_variance(double s) {
  const double s2 = s * s;
  return s2 + 5 * s2 * s2 / 2 + 32 * s2 * s2 * s2 / 3;
}

DriftRegression fit_device_drift(const Eigen::Ref<const Eigen::ArrayXd>& log_t_rel,
                                 const Eigen::Ref<const Eigen::ArrayXd>& g_uS,
                                 const Eigen::Ref<const Eigen::ArrayXd>& s) {
  PCMKIT_CHECK(log_t_rel.size() == g_uS.size() && s.size() == g_uS.size(), "size mismatch");
  double sw = 0, swl = 0, swll = 0, swy = 0, swly = 0, swyy = 0;
  int n = 0;
  for (Eigen::Index j = 0; j < g_uS.size(); ++j) {
    const double g = g_uS[j];
    if (!(g > 0) || !std::isfinite(g)) continue;
    const double w = 1.0 / log_read_variance(s[j]);
    const double y = std::log(g) - log_read_bias(s[j]);
    const double l = log_t_rel[j];
    sw += w;
    swl += w * l;
    swll += w * l * l;
    swy += w * y;
    swly += w * l * y;
    swyy += w * y * y;
    ++n;
  }
  DriftRegression r;
  r.num_reads = n;
  const double det = sw * swll - swl * swl;
  if (n < 3 || !(det > 0)) return r;
  const double intercept = (swll * swy - swl * swly) / det;
  const double slope = (sw * swly - swl * swy) / det;
  r.log_g_prog = intercept;
  r.drift_exponent = -slope;
  r.var_log_g_prog = swll / det;
  r.var_drift_exponent = sw / det;
  // Σw(y − a − bl)² expanded in the sums, so one pass suffices.
  r.weighted_rss = std::max(0.0, swyy - intercept * swy - slope * swly);
  for (Eigen::Index j = 0; j < g_uS.size(); ++j) {
    const double g = g_uS[j];
    if (!(g > 0) || !std::isfinite(g)) continue;
    const double residual = g / std::exp(intercept + slope * log_t_rel[j]) - 1.0;
    r.linear_chi2 += residual * residual / (s[j] * s[j]);
  }
  r.ok = true;
  return r;
}

}  // namespace pcmkit::calibration
