#include "pcmkit/calibration/coefficient_curves.h"

#include <ceres/ceres.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "pcmkit/calibration/detail/ceres_quiet.h"
#include "pcmkit/core/error.h"

namespace pcmkit::calibration {
namespace {

constexpr double kHuberScale = 3.0;  // in standard errors: ordinary levels stay quadratic
// A split of the levels may add a plateau (or a line through only two levels) only if it lowers
// χ² by more than this (a likelihood-ratio test at 3σ), so that a lone end level is not put on a
// plateau, nor two levels on a line, just because so few points always fit exactly.
constexpr double kChi2PerPart = 9.0;
// A line is only a line if its slope differs from 0 by more than this many standard errors;
// flat levels are a plateau, and then the line is not identified.
constexpr double kMinSlopeSignificance = 3.0;
// Another split of the levels (with at most one part more) whose χ² is within this of the chosen
// one's explains them about as well (2σ): a coefficient it leaves undetermined is not identified,
// and one it also determines gets at least that reading's error with its move added (e.g. a level
// that may be on the line or on a plateau; a plateau that may rest on the zero level alone).
constexpr double kAmbiguousChi2 = 4.0;

std::vector<CurvePoint> usable(const std::vector<CurvePoint>& points) {
  std::vector<CurvePoint> out;
  for (const CurvePoint& p : points)
    if (std::isfinite(p.value) && std::isfinite(p.x) && p.std_error > 0 &&
        std::isfinite(p.std_error))
      out.push_back(p);
  std::sort(out.begin(), out.end(),
            [](const CurvePoint& a, const CurvePoint& b) { return a.x < b.x; });
  return out;
}

int distinct_x(const std::vector<CurvePoint>& points, std::size_t begin, std::size_t end) {
  int n = 0;
  for (std::size_t i = begin; i < end; ++i)
    if (i == begin || points[i].x != points[i - 1].x) ++n;
  return n;
}

struct QuadraticResidual {
  double x, y, se;
  template <typename T>
  bool operator()(const T* p0, const T* p1, const T* p2, T* r) const {
    T v = p0[0] + p1[0] * x + p2[0] * x * x;
    if (v < T(0)) v = T(0);
    r[0] = (v - y) / se;
    return true;
  }
};

struct ClippedLineResidual {
  double u, y, se;
  bool has_lo;
  template <typename T>
  bool operator()(const T* p0, const T* p1, const T* lo, const T* hi, T* r) const {
    T v = p0[0] + p1[0] * u;
    if (v > hi[0]) v = hi[0];
    if (has_lo && v < lo[0]) v = lo[0];
    r[0] = (v - y) / se;
    return true;
  }
};

// Solves the problem over `params` (one block per scalar), holding `fixed` ones constant, and
// fills estimates with Ceres's covariance.
CurveFit solve(ceres::Problem& problem,
               std::vector<double>& params,
               const std::vector<bool>& fixed,
               int num_points) {
  const ScopedQuietCeres quiet;
  CurveFit fit;
  int free = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (fixed[i])
      problem.SetParameterBlockConstant(&params[i]);
    else
      ++free;
  }
  ceres::Solver::Options options;
  options.max_num_iterations = 200;
  options.function_tolerance = 1e-14;
  options.gradient_tolerance = 1e-14;
  options.parameter_tolerance = 1e-14;
  options.logging_type = ceres::SILENT;
  ceres::Solver::Summary summary;
  ceres::Solve(options, &problem, &summary);
  fit.converged = summary.termination_type == ceres::CONVERGENCE;
  fit.message = summary.message;
  fit.dof = num_points - free;
  fit.chi2 = 2 * summary.final_cost;  // under the Huber loss: a robust χ²

  std::vector<const double*> free_blocks;
  for (std::size_t i = 0; i < params.size(); ++i)
    if (!fixed[i]) free_blocks.push_back(&params[i]);
  ceres::Covariance::Options cov_options;
  cov_options.algorithm_type = ceres::DENSE_SVD;
  cov_options.min_reciprocal_condition_number = 1e-14;
  ceres::Covariance covariance(cov_options);
  std::vector<std::pair<const double*, const double*>> pairs;
  for (const double* b : free_blocks) pairs.emplace_back(b, b);
  const bool have_cov = !free_blocks.empty() && covariance.Compute(pairs, &problem);
  for (std::size_t i = 0; i < params.size(); ++i) {
    Estimate e;
    e.value = params[i];
    if (!fixed[i] && have_cov) {
      double var = 0;
      covariance.GetCovarianceBlock(&params[i], &params[i], &var);
      e.std_error = std::sqrt(std::max(var, 0.0));
      e.identified = std::isfinite(e.std_error);
    }
    fit.coefficients.push_back(e);
  }
  if (!have_cov && free > 0) fit.message += "; covariance could not be computed";
  return fit;
}

double weighted_mean(const std::vector<CurvePoint>& p, std::size_t b, std::size_t e) {
  double sw = 0, swy = 0;
  for (std::size_t i = b; i < e; ++i) {
    const double w = 1 / (p[i].std_error * p[i].std_error);
    sw += w;
    swy += w * p[i].value;
  }
  return swy / sw;
}

struct Line {
  double p0, p1, p1_std_error, p0_std_error;
};

// Weighted least-squares line through points [b, e).
Line weighted_line(const std::vector<CurvePoint>& p, std::size_t b, std::size_t e) {
  double sw = 0, swx = 0, swxx = 0, swy = 0, swxy = 0;
  for (std::size_t i = b; i < e; ++i) {
    const double w = 1 / (p[i].std_error * p[i].std_error);
    sw += w;
    swx += w * p[i].x;
    swxx += w * p[i].x * p[i].x;
    swy += w * p[i].value;
    swxy += w * p[i].x * p[i].value;
  }
  const double det = sw * swxx - swx * swx;
  const double slope = (sw * swxy - swx * swy) / det;
  return {(swy - slope * swx) / sw, slope, std::sqrt(sw / det), std::sqrt(swxx / det)};
}

double clipped_chi2(const std::vector<CurvePoint>& p, const std::vector<double>& c, bool has_lo) {
  double chi2 = 0;
  for (const CurvePoint& q : p) {
    double v = std::min(c[0] + c[1] * q.x, c[3]);
    if (has_lo) v = std::max(v, c[2]);
    const double r = (v - q.value) / q.std_error;
    chi2 += r * r;
  }
  return chi2;
}

// "levels 1-2 on the upper plateau, 3-5 on the line, 6-13 on the lower plateau" (1-based).
std::string split_name(std::size_t i, std::size_t j, std::size_t n) {
  const auto range = [](std::size_t b, std::size_t e) {
    return b + 1 == e ? "level " + std::to_string(b + 1)
                      : "levels " + std::to_string(b + 1) + "-" + std::to_string(e);
  };
  std::string s;
  if (i > 0) s += range(0, i) + " on the upper plateau";
  if (j > i) s += (s.empty() ? "" : ", ") + range(i, j) + " on the line";
  if (j < n) s += (s.empty() ? "" : ", ") + range(j, n) + " on the lower plateau";
  return "the split " + s;
}

// Applies the header's rules to a clipped line whose free coefficients are `fixed` == false and
// whose levels [0, i) are on the upper plateau and [j, n) on the lower; returns the shape.
std::string export_rules(std::vector<Estimate>& e,
                         const std::vector<bool>& fixed,
                         std::size_t best_i,
                         std::size_t best_j,
                         const std::vector<CurvePoint>& p,
                         bool has_lo) {
  std::string shape;
  const bool line = !fixed[0], hi = !fixed[3], lo = has_lo && !fixed[2];
  const auto move_clips_beyond = [&](double top, double bottom, const std::string& why) {
    if (!hi && e[3].value < top) {
      e[3].value = top;
      e[3].rule = "raised to " + why + " (not identified)";
    }
    if (has_lo && !lo && e[2].value > bottom) {
      e[2].value = bottom;
      e[2].rule = "lowered to " + why + " (not identified)";
    }
  };
  if (line) {
    // Non-increasing: the line's largest value at a level is at the smallest u.
    move_clips_beyond(e[0].value + e[1].value * p.front().x, e[0].value + e[1].value * p.back().x,
                      "the line's value at the outermost level");
    shape =
        std::string("line") + (hi ? " and upper plateau" : "") + (lo ? " and lower plateau" : "");
  } else if (hi != lo &&
             (hi ? best_i + 1 == p.size() && best_i >= 1 : best_j == 1 && p.size() >= 2)) {
    // One plateau and one level beyond it that it does not take: the curve leaves the plateau
    // through that level (reaching the plateau by the plateau's nearest level); the other clip
    // is not identified and only moved if the level needs it.
    const std::size_t m = hi ? best_i : 0, near = hi ? best_i - 1 : 1;
    const double v = hi ? e[3].value : e[2].value, y_m = p[m].value;
    const double du = std::abs(p[m].x - p[near].x);
    e[1].value = du > 0 ? -std::abs(y_m - v) / du : 0.0;
    e[0].value = y_m - e[1].value * p[m].x;
    e[0].rule = e[1].rule =
        std::string("leaves the ") + (hi ? "upper" : "lower") +
        " plateau through the one level beyond it, at u = " + std::to_string(p[m].x);
    move_clips_beyond(y_m, y_m, "that level's value");
    shape = hi ? "upper plateau and one level below it" : "lower plateau and one level above it";
  } else if (hi != lo) {
    const double v = hi ? e[3].value : e[2].value;
    e[0].value = v;
    e[0].rule = std::string("constant curve: the ") + (hi ? "upper" : "lower") + " plateau's value";
    e[1].value = 0;
    e[1].rule = "constant curve: slope 0";
    move_clips_beyond(v, v, "the constant");
    shape = "constant";
  } else if (hi && lo) {
    // The step lies somewhere between the last upper and the first lower level: join them there,
    // through the one level between them if there is one (steep enough to reach both plateaus
    // before their levels). Not an estimate of the line: two levels would be needed for that.
    const double u_a = p[best_i - 1].x, u_b = p[best_j].x, hi_v = e[3].value, lo_v = e[2].value;
    if (best_j == best_i + 1 && p[best_i].x > u_a && p[best_i].x < u_b) {
      const double u_m = p[best_i].x, y_m = std::clamp(p[best_i].value, lo_v, hi_v);
      e[1].value = -std::max((hi_v - y_m) / (u_m - u_a), (y_m - lo_v) / (u_b - u_m));
      e[0].value = y_m - e[1].value * u_m;
      e[0].rule = e[1].rule = "joins the two plateaus through the one level between them, at u = " +
                              std::to_string(u_m);
    } else {
      e[1].value = u_b > u_a ? (lo_v - hi_v) / (u_b - u_a) : 0.0;
      e[0].value = hi_v - e[1].value * u_a;
      e[0].rule = e[1].rule =
          "joins the two plateaus between the levels at u = " + std::to_string(u_a) + " and " +
          std::to_string(u_b);
    }
    shape = "two plateaus";
  } else {
    shape = "nothing identified";
  }
  return shape;
}
// One split of the sorted levels: [0, i) on the upper plateau, [i, j) on the line, [j, n) on
// the lower plateau, each part fitted on its own.
struct Candidate {
  double chi2;     // of the exported curve, without the parts' costs
  double cost;     // chi2 plus kChi2PerPart for each part that fits whatever its levels are
  int parts;       // plateaus and line
  int free;        // coefficients the levels set
  bool choosable;  // may be chosen (not only an alternative reading)
  std::vector<double> exported;
  std::vector<double> se;  // the parts' own least-squares errors
  std::vector<bool> fixed;
  std::size_t i, j;
};

double mean_error(const std::vector<CurvePoint>& p, std::size_t b, std::size_t e) {
  double sw = 0;
  for (std::size_t k = b; k < e; ++k) sw += 1 / (p[k].std_error * p[k].std_error);
  return 1 / std::sqrt(sw);
}

// The split (i, j), or nothing when it is not a valid reading of the levels (a rising or flat
// line, the zero level on the line, the lower plateau above the upper).
std::optional<Candidate> split_candidate(const std::vector<CurvePoint>& p,
                                         const std::vector<double>& prior,
                                         bool has_lo,
                                         double u_floor,
                                         std::size_t i,
                                         std::size_t j) {
  const std::size_t n = p.size();
  std::vector<double> c = prior;
  std::vector<bool> fixed = {true, true, true, true};
  std::vector<double> se(4, NAN);
  if (i > 0) {
    se[3] = mean_error(p, 0, i);
    c[3] = weighted_mean(p, 0, i);
    fixed[3] = false;
  }
  if (j < n) {
    c[2] = weighted_mean(p, j, n);
    se[2] = mean_error(p, j, n);
    fixed[2] = false;
  }
  if (j > i && p[i].x <= u_floor) return std::nullopt;  // the zero level is no point of the line
  if (distinct_x(p, i, j) >= 2) {
    const Line line = weighted_line(p, i, j);
    if (line.p1 > 0) return std::nullopt;
    if (-line.p1 < kMinSlopeSignificance * line.p1_std_error)
      return std::nullopt;  // flat: a plateau explains it with one coefficient fewer
    c[0] = line.p0;
    se[0] = line.p0_std_error;
    se[1] = line.p1_std_error;
    c[1] = line.p1;
    fixed[0] = fixed[1] = false;
  }
  // A plateau on the wrong side of the line's end by less than its error (a level that
  // barely informs it, e.g. a censored one) meets the line there.
  if (!fixed[0]) {
    const double top = c[0] + c[1] * p[i].x, bottom = c[0] + c[1] * p[j - 1].x;
    if (!fixed[3] && c[3] < top && top - c[3] < 2 * se[3]) c[3] = top;
    if (has_lo && !fixed[2] && c[2] > bottom && c[2] - bottom < 2 * se[2]) c[2] = bottom;
  }
  if (has_lo && c[2] > c[3]) return std::nullopt;
  Candidate a;
  // A plateau of one level is only a plateau where a line locates its kink; without one, that
  // level may as well lie on a line towards an unknown plateau (the level-beyond rule above).
  // (Such a split still counts as an alternative reading of the levels.)
  a.choosable = !(fixed[0] && ((i > 0 && distinct_x(p, 0, i) == 1 && j < n) ||
                               (j < n && distinct_x(p, j, n) == 1 && i > 0)));
  // The candidate as it would be exported, rules applied.
  std::vector<Estimate> candidate;
  for (double v : c) candidate.push_back({v, NAN, false, ""});
  export_rules(candidate, fixed, i, j, p, has_lo);
  for (const Estimate& e : candidate) a.exported.push_back(e.value);
  const int plateaus = (fixed[2] ? 0 : 1) + (fixed[3] ? 0 : 1);
  a.free = plateaus + (fixed[0] ? 0 : 2);
  // Parts that fit their levels exactly whatever they are must earn their place: a plateau,
  // and a line through only two levels, cost kChi2PerPart.
  const bool two_level_line = !fixed[0] && distinct_x(p, i, j) == 2;
  // So do levels that no plateau or line takes: the rules pass the curve through them.
  const auto loose = static_cast<double>(fixed[0] ? j - i : 0);
  a.chi2 = clipped_chi2(p, a.exported, has_lo);
  a.parts = plateaus + (fixed[0] ? 0 : 1);
  a.cost = a.chi2 + kChi2PerPart * (plateaus + (two_level_line ? 1 : 0) + loose);
  a.se = se;
  a.fixed = fixed;
  a.i = i;
  a.j = j;
  return a;
}

// Every valid split, in (i, j) order.
std::vector<Candidate> split_candidates(const std::vector<CurvePoint>& p,
                                        const std::vector<double>& prior,
                                        bool has_lo,
                                        double u_floor) {
  std::vector<Candidate> candidates;
  for (std::size_t i = 0; i <= p.size(); ++i)
    for (std::size_t j = i; j <= p.size(); ++j) {
      if (!has_lo && j != p.size()) continue;
      if (std::optional<Candidate> a = split_candidate(p, prior, has_lo, u_floor, i, j))
        candidates.push_back(std::move(*a));
    }
  return candidates;
}

// The choosable split of least cost; of equal costs (within rounding), the one with fewer
// coefficients. Null when none is choosable.
const Candidate* best_split(const std::vector<Candidate>& candidates) {
  const Candidate* best = nullptr;
  double best_cost = std::numeric_limits<double>::infinity();
  int best_free = 5;
  for (const Candidate& a : candidates) {
    if (!a.choosable) continue;
    const double tie = 1e-9 * (1 + std::abs(a.cost));
    if (a.cost < best_cost - tie || (a.cost <= best_cost + tie && a.free < best_free)) {
      best_free = a.free;
      best_cost = a.cost;
      best = &a;
    }
  }
  return best;
}

// The chosen split polished by a robust (Huber) fit of all four coefficients to its levels.
CurveFit polish(const std::vector<CurvePoint>& p,
                std::vector<double>& c,
                const std::vector<bool>& fixed,
                std::size_t best_i,
                std::size_t best_j,
                bool has_lo) {
  const std::size_t n = p.size();
  // One plateau and no line: the polish moves the plateau alone, the (fixed) line out of its way.
  if (fixed[0] && (fixed[3] != (fixed[2] || !has_lo))) {
    c[1] = 0;
    c[0] = fixed[3] ? -1e300 : 1e300;
  }
  // Two plateaus and no line: a step between them, so each plateau moves over its own levels.
  if (fixed[0] && !fixed[3] && has_lo && !fixed[2]) {
    c[1] = -1e12;
    c[0] = -c[1] * 0.5 * (p[best_i - 1].x + p[best_j].x);
  }
  ceres::Problem problem;
  for (std::size_t k = 0; k < n; ++k) {
    // Without a line, levels between the plateaus belong to neither: the rules pass the curve
    // through them afterwards, and they must not pull a plateau meanwhile.
    if (fixed[0] && k >= best_i && k < best_j && (best_i > 0 || best_j < n)) continue;
    const CurvePoint& q = p[k];
    problem.AddResidualBlock(new ceres::AutoDiffCostFunction<ClippedLineResidual, 1, 1, 1, 1, 1>(
                                 new ClippedLineResidual{q.x, q.value, q.std_error, has_lo}),
                             new ceres::HuberLoss(kHuberScale), &c[0], &c[1], &c[2], &c[3]);
  }
  CurveFit fit = solve(problem, c, fixed, static_cast<int>(n));
  // Without a covariance (the polish moved a kink onto a level, leaving a segment with too few
  // levels), keep the chosen segments' own weighted least-squares fits and their errors.
  bool lost = false;
  for (std::size_t k = 0; k < 4; ++k) lost = lost || (!fixed[k] && !fit.coefficients[k].identified);
  if (lost) {
    const auto plateau = [&](std::size_t b, std::size_t e) {
      return Estimate{weighted_mean(p, b, e), mean_error(p, b, e), true, ""};
    };
    if (!fixed[3]) fit.coefficients[3] = plateau(0, best_i);
    if (!fixed[2]) fit.coefficients[2] = plateau(best_j, n);
    if (!fixed[0]) {
      const Line line = weighted_line(p, best_i, best_j);
      fit.coefficients[0] = {line.p0, line.p0_std_error, true, ""};
      fit.coefficients[1] = {line.p1, line.p1_std_error, true, ""};
    }
    for (std::size_t k = 0; k < 4; ++k) c[k] = fit.coefficients[k].value;
    fit.message += "; errors from the segments' own least-squares fits";
  }
  // A plateau met to the line's end above (within its error) may be polished back below the
  // other plateau by its own uninformative level: put it back where the split put it.
  if (has_lo && !fixed[2] && !fixed[3] && c[3] < c[2]) {
    c[3] = fixed[0] ? c[2] : std::max(c[2], c[0] + c[1] * p[best_i].x);
    fit.coefficients[3].value = c[3];
  }
  return fit;
}

// True when the polished curve `c` still puts the levels on the parts the split chose (the
// polish may move a level across a kink).
bool split_still_holds(const std::vector<CurvePoint>& p,
                       const std::vector<double>& c,
                       const std::vector<bool>& fixed,
                       bool has_lo) {
  std::size_t on_hi = 0, on_lo = 0;
  std::vector<CurvePoint> on_line;
  for (const CurvePoint& q : p) {
    const double line = c[0] + c[1] * q.x;
    if (line >= c[3])
      ++on_hi;
    else if (has_lo && line <= c[2])
      ++on_lo;
    else
      on_line.push_back(q);
  }
  const bool line_ok = distinct_x(on_line, 0, on_line.size()) >= 2;
  return (fixed[3] == (on_hi == 0)) && (fixed[2] == (on_lo == 0 || !has_lo)) &&
         (fixed[0] == !line_ok);
}

// Splits that explain the levels about as well (model-selection ambiguity): a coefficient one
// of them leaves open is not identified; the others' errors grow to cover how far each reading
// moves them, and at least the chosen split's own segment errors (the polish may slide a level
// across a kink, and a plateau of one uninformative level then borrows its neighbour's
// precision).
void widen_for_other_readings(const std::vector<Candidate>& candidates,
                              const Candidate& chosen,
                              std::size_t n,
                              CurveFit& fit) {
  std::vector<double> moved(4, 0.0);
  std::vector<std::string> undetermined(4);
  for (std::size_t k = 0; k < 4; ++k)
    if (!chosen.fixed[k] && std::isfinite(chosen.se[k])) moved[k] = chosen.se[k];
  for (const Candidate& a : candidates) {
    // Another reading of the levels: as good a fit with at most one part more.
    if (&a == &chosen || a.parts > chosen.parts + 1 || a.chi2 > chosen.chi2 + kAmbiguousChi2)
      continue;
    for (std::size_t k = 0; k < 4; ++k) {
      if (chosen.fixed[k]) continue;
      if (a.fixed[k] && undetermined[k].empty())
        undetermined[k] = "not identified: " + split_name(a.i, a.j, n) +
                          " fits the levels about as well and leaves it open";
      else if (!a.fixed[k])  // that reading's error, and how far it moves the value
        moved[k] = std::max(moved[k], std::hypot(a.se[k], a.exported[k] - chosen.exported[k]));
    }
  }
  for (std::size_t k = 0; k < 4; ++k) {
    Estimate& est = fit.coefficients[k];
    if (!est.identified) continue;
    if (!undetermined[k].empty()) {
      est.identified = false;
      est.std_error = NAN;
      est.rule = undetermined[k];
    } else {
      est.std_error = std::max(est.std_error, moved[k]);
    }
  }
}

}  // namespace

CurveFit fit_quadratic(const std::vector<CurvePoint>& points, const std::vector<double>& prior) {
  PCMKIT_CHECK(prior.size() == 3, "quadratic prior needs 3 coefficients");
  const std::vector<CurvePoint> p = usable(points);
  const int distinct = distinct_x(p, 0, p.size());
  std::vector<double> c = prior;
  std::vector<bool> fixed = {distinct < 1, distinct < 2, distinct < 3};
  // Terms the levels cannot determine are 0, so that the fitted ones do not lean on the prior.
  for (int k = 1; k < 3; ++k)
    if (fixed[static_cast<std::size_t>(k)] && distinct >= 1) c[static_cast<std::size_t>(k)] = 0;
  ceres::Problem problem;
  for (const CurvePoint& q : p)
    problem.AddResidualBlock(new ceres::AutoDiffCostFunction<QuadraticResidual, 1, 1, 1, 1>(
                                 new QuadraticResidual{q.x, q.value, q.std_error}),
                             new ceres::HuberLoss(kHuberScale), &c[0], &c[1], &c[2]);
  if (p.empty()) {
    CurveFit fit;
    for (double v : prior) fit.coefficients.push_back({v, NAN, false, ""});
    fit.message = "no level to fit";
    return fit;
  }
  CurveFit fit = solve(problem, c, fixed, static_cast<int>(p.size()));
  fit.shape = distinct >= 3   ? "quadratic"
              : distinct == 2 ? "line (2 levels)"
                              : "constant (1 level)";
  for (int k = 1; k < 3; ++k)
    if (fixed[static_cast<std::size_t>(k)])
      fit.coefficients[static_cast<std::size_t>(k)].rule =
          "set to 0: " + std::to_string(distinct) + " distinct level(s) determine fewer terms";
  fit.chi2 = 0;
  for (const CurvePoint& q : p) {
    const double v = std::max(0.0, c[0] + c[1] * q.x + c[2] * q.x * q.x);
    fit.chi2 += (v - q.value) * (v - q.value) / (q.std_error * q.std_error);
  }
  return fit;
}

CurveFit fit_clipped_line(const std::vector<CurvePoint>& points,
                          const std::vector<double>& prior,
                          bool has_lo,
                          double u_floor) {
  PCMKIT_CHECK(prior.size() == 4, "clipped-line prior needs {p0, p1, lo, hi}");
  const std::vector<CurvePoint> p = usable(points);
  const std::size_t n = p.size();
  if (n == 0) {
    CurveFit fit;
    for (double v : prior) fit.coefficients.push_back({v, NAN, false, ""});
    fit.message = "no level to fit";
    return fit;
  }
  // Sorted by u ascending: a non-increasing line meets hi at small u and lo at large u.
  const std::vector<Candidate> candidates = split_candidates(p, prior, has_lo, u_floor);
  const Candidate* chosen = best_split(candidates);
  // No choosable split: the prior, every coefficient fixed, all levels "on the line".
  const std::vector<bool> fixed = chosen ? chosen->fixed : std::vector<bool>(4, true);
  const std::size_t best_i = chosen ? chosen->i : 0, best_j = chosen ? chosen->j : n;
  std::vector<double> c = chosen ? chosen->exported : prior;
  CurveFit fit = polish(p, c, fixed, best_i, best_j, has_lo);
  if (!split_still_holds(p, c, fixed, has_lo))
    fit.message += "; a level sits on a kink of the clipped curve";
  for (std::size_t k = 0; k < 4; ++k)  // what the levels did not fix starts from the prior again
    if (fixed[k]) fit.coefficients[k].value = prior[k];
  fit.shape = export_rules(fit.coefficients, fixed, best_i, best_j, p, has_lo);
  if (chosen) widen_for_other_readings(candidates, *chosen, n, fit);
  const std::vector<Estimate>& e = fit.coefficients;
  fit.chi2 = clipped_chi2(p, {e[0].value, e[1].value, e[2].value, e[3].value}, has_lo);
  return fit;
}

}  // namespace pcmkit::calibration
