#include "pcmkit/calibration/detail/robust_statistics.h"

#include <algorithm>

#include "pcmkit/core/error.h"

namespace pcmkit::calibration {
namespace {

double median_of(std::vector<double>& v) {
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return 0.5 * (lower + upper);
}

}  // namespace

RobustLocation robust_location(std::vector<double> values) {
  PCMKIT_CHECK(!values.empty(), "robust_location of no values");
  RobustLocation r;
  r.median = median_of(values);
  for (double& v : values) v = std::abs(v - r.median);
  r.scale = 1.4826 * median_of(values);
  return r;
}

}  // namespace pcmkit::calibration
