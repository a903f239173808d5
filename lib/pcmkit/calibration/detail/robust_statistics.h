// Median and scaled median absolute deviation, for rejecting outlier devices.
#pragma once

#include <cmath>
#include <vector>

namespace pcmkit::calibration {

struct RobustLocation {
  double median = 0.0;
  double scale = 0.0;  // 1.4826·MAD: the standard deviation for normal data
  // True when |v − median| ≤ k·scale (everything passes when scale is 0).
  bool within(double v, double k) const { return scale <= 0 || std::abs(v - median) <= k * scale; }
};

// Requires: values not empty. Cost: O(n) (nth_element on a copy).
RobustLocation robust_location(std::vector<double> values);

}  // namespace pcmkit::calibration
