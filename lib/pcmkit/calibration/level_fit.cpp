#include "pcmkit/calibration/level_fit.h"

namespace pcmkit::calibration {

std::string Rejections::text() const {
  std::string out;
  const auto add = [&](Eigen::Index n, const char* what) {
    if (n == 0) return;
    if (!out.empty()) out += ", ";
    out += std::to_string(n) + " " + what;
  };
  add(incomplete, "with a read missing");
  add(too_few_reads, "with fewer than 3 reads above 0");
  add(outlier_g_prog, "outliers in G_prog");
  add(outlier_nu, "outliers in nu");
  add(outlier_chi2, "off their own drift line");
  add(outlier_mean_read, "outliers in mean read");
  return out;
}

}  // namespace pcmkit::calibration
