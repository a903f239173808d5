// Fitting the model's coefficient curves (pcm_model.h) to per-level estimates, with Ceres:
//   quadratic      y = max(0, p0 + p1·x + p2·x²)                  (σ_prog, x = G_T/G_max)
//   clipped line   y = clip(p0 + p1·u, lo, hi), u = ln x          (μ_ν, σ_ν; ln Q_s with no lo)
// Residuals are (y_l − model)/se_l with a Huber loss at 3 standard errors, so one bad level
// cannot drag the curve. Standard errors come from ceres::Covariance.
// Identification: a coefficient is fitted only where levels inform it — hi needs a level on the
// upper plateau, lo one on the lower plateau, the line two distinct levels between them, the
// quadratic three distinct x. Anything else is reported not identified and held at its prior.
// The clipped line is assumed non-increasing in u (p1 ≤ 0), as drift and read noise are.
// What is exported is what the levels say: a coefficient the levels do not determine keeps its
// prior only where that cannot contradict them; otherwise a stated rule sets it
// (Estimate::rule), and χ² is that of the exported curve:
//   quadratic     terms beyond what the distinct levels determine are 0 (not the prior's);
//   clipped line  a line with a plateau not identified: that clip is moved, if needed, beyond
//                 the line's values at the levels; one plateau and no line: the curve is that
//                 constant (slope 0, the other clip moved to it if needed); two plateaus and no
//                 line: the line joins them between the last level of one and the first of the
//                 other.
// Ambiguity: another split of the levels into plateaus and line (with at most one part more)
// whose χ² is within 4 of the chosen one's reads the levels as well. A coefficient it leaves
// undetermined is not identified (its rule names that split; the value stays the fitted one), one
// it determines too gets at least that split's error with the difference of the values added.
// Every fitted coefficient's error is at least its chosen segment's own least-squares error (the
// polish may slide a level across a kink); a plateau on the wrong side of the line's end by less
// than 2 of its errors meets the line there; two plateaus without a line are polished as a step,
// each over its own levels (a level between them is the rules' to pass through).
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "pcmkit/calibration/level_fit.h"

namespace pcmkit::calibration {

struct CurvePoint {
  double x = 0.0;          // abscissa (x for the quadratic, u = ln x for the clipped line)
  double value = 0.0;      // per-level estimate
  double std_error = 0.0;  // > 0
};

struct CurveFit {
  std::vector<Estimate> coefficients;  // quadratic: p0, p1, p2; clipped line: p0, p1, lo, hi
  std::string shape;                   // what the levels said, e.g. "line and upper plateau"
  double chi2 = 0.0;                   // Σ ((level − exported curve)/se)² over the levels
  int dof = 0;                         // levels − fitted coefficients
  bool converged = false;
  std::string message;
};

// Requires: prior.size() == 3. Points with non-finite value or std_error ≤ 0 are ignored.
CurveFit fit_quadratic(const std::vector<CurvePoint>& points, const std::vector<double>& prior);

// Requires: prior = {p0, p1, lo, hi}. has_lo = false drops the lower clip (lo stays at prior,
// not identified). Tries every split of the sorted levels into upper plateau / line / lower
// plateau, keeps the best, then polishes it with Ceres.
// u_floor: levels at or below it (the zero level, at ln x_floor) are never points of the line,
// only of the upper plateau: x_floor is a convention, so a line through such a level would be
// steered by an abscissa the data did not choose.
CurveFit fit_clipped_line(const std::vector<CurvePoint>& points,
                          const std::vector<double>& prior,
                          bool has_lo,
                          double u_floor = -std::numeric_limits<double>::infinity());

}  // namespace pcmkit::calibration
