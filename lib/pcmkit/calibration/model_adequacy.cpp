#include "pcmkit/calibration/model_adequacy.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <sstream>

#include "pcmkit/core/error.h"
#include "pcmkit/core/random_stream.h"

namespace pcmkit::calibration {
namespace {

using measurement::RowMatrixXd;

// One simulated campaign (copy) of a level's devices: reads at the measured reads' times, NaN
// where the measurement has none. Device i (its campaign row) draws item i of copy `copy`'s
// streams: levels must not share draws, or a replicate's levels would err alike and its largest
// z over all cells would be that of one level (7 of 20 campaigns of the true model B flagged).
// With `error`, the level's parameters are first moved by one draw of their errors.
RowMatrixXd simulate_level(const measurement::Campaign& campaign,
                           const std::vector<Eigen::Index>& devices,
                           const device::PcmModel& model,
                           std::uint64_t seed,
                           int copy,
                           const LevelParameterErrors* error) {
  const auto n = static_cast<Eigen::Index>(devices.size());
  const Eigen::Index num_times = campaign.num_times();
  // Copies are independent streams: a seed per copy (a golden-ratio step apart).
  const std::uint64_t copy_seed =
      seed + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(copy + 1);
  const CounterRng programming(copy_seed, RandomStream::kProgramming);
  const CounterRng drift(copy_seed, RandomStream::kDriftExponent);
  const CounterRng read(copy_seed, RandomStream::kRead);
  // A level's devices share G_T; with shared times, ln(t/t0) and σ_r(t) are per column.
  const double g_t = campaign.g_target_uS(devices.front());
  double sigma_prog = model.sigma_prog_uS(g_t), mu = model.mu_nu(g_t),
         sigma_nu = model.sigma_nu(g_t), q_factor = 1;
  if (error) {
    const CounterRng moved(copy_seed, RandomStream::kFitError);
    const auto level = static_cast<std::uint64_t>(std::llround(g_t * 1e6));
    sigma_prog = std::max(0.0, sigma_prog + error->sigma_prog_uS * moved.normal(level, 0));
    mu += error->mu_nu * moved.normal(level, 1);
    sigma_nu = std::max(0.0, sigma_nu + error->sigma_nu * moved.normal(level, 2));
    q_factor = std::exp(error->log_q_s * moved.normal(level, 3));
  }
  Eigen::ArrayXd log_t(num_times), s(num_times);
  for (Eigen::Index j = 0; j < num_times; ++j) {
    log_t[j] = std::log(campaign.time_of(devices.front(), j) / model.t0_s);
    s[j] = q_factor * model.sigma_read_rel(g_t, campaign.time_of(devices.front(), j));
  }
  RowMatrixXd g(n, num_times);
#pragma omp parallel for schedule(static)
  for (Eigen::Index k = 0; k < n; ++k) {
    const Eigen::Index i = devices[static_cast<std::size_t>(k)];
    const auto item = static_cast<std::uint64_t>(i);
    const double g_prog = std::max(0.0, g_t + sigma_prog * programming.normal(item, 0));
    const double nu = std::abs(mu + sigma_nu * drift.normal(item, 0));
    for (Eigen::Index j = 0; j < num_times; ++j) {
      if (!std::isfinite(campaign.g_uS(i, j))) {
        g(k, j) = NAN;
        continue;
      }
      double l = log_t[j], sr = s[j];
      if (!campaign.shared_times()) {
        const double t = campaign.time_of(i, j);
        l = std::log(t / model.t0_s);
        sr = q_factor * model.sigma_read_rel(g_t, t);
      }
      const double g_d = g_prog * std::exp(-nu * l);
      g(k, j) = std::max(0.0, g_d + g_d * sr * read.normal(item, static_cast<std::uint64_t>(j)));
    }
  }
  return g;
}

std::vector<double> finite_column(const RowMatrixXd& g, Eigen::Index j, bool sorted = true) {
  std::vector<double> v;
  for (Eigen::Index k = 0; k < g.rows(); ++k)
    if (std::isfinite(g(k, j))) v.push_back(std::max(0.0, g(k, j)));
  if (sorted) std::sort(v.begin(), v.end());
  return v;
}

// The KS distance evaluated at the reference's quantiles only (kGridPoints of them): the same
// statistic for the measured campaign and its replicates, so the simulated calibration holds,
// at O(n log kGridPoints) per sample and no sort.
constexpr int kGridPoints = 64;

struct ReferenceGrid {
  std::vector<double> edges;  // reference quantiles, non-decreasing
  std::vector<double> cdf;    // the reference's F(edge)
};

ReferenceGrid reference_grid(const std::vector<double>& sorted_reference) {
  ReferenceGrid grid;
  const double m = static_cast<double>(sorted_reference.size());
  for (int b = 1; b < kGridPoints; ++b) {
    const auto at = static_cast<std::size_t>(b * (sorted_reference.size() - 1) / kGridPoints);
    const double edge = sorted_reference[at];
    if (!grid.edges.empty() && edge == grid.edges.back()) continue;  // an atom (reads at 0)
    grid.edges.push_back(edge);
    grid.cdf.push_back(static_cast<double>(std::upper_bound(sorted_reference.begin(),
                                                            sorted_reference.end(), edge) -
                                           sorted_reference.begin()) /
                       m);
  }
  return grid;
}

double grid_ks_distance(const std::vector<double>& sample, const ReferenceGrid& grid) {
  std::vector<int> count(grid.edges.size() + 1, 0);
  for (double x : sample)  // bin b holds x ≤ edges[b] (first such b)
    ++count[static_cast<std::size_t>(std::lower_bound(grid.edges.begin(), grid.edges.end(), x) -
                                     grid.edges.begin())];
  const double n = static_cast<double>(sample.size());
  double cumulative = 0, d = 0;
  for (std::size_t b = 0; b < grid.edges.size(); ++b) {
    cumulative += count[b];
    d = std::max(d, std::abs(cumulative / n - grid.cdf[b]));
  }
  return d;
}

double quantile(const std::vector<double>& sorted, double p) {
  const double h = p * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

struct MeanSd {
  double mean = 0, sd = 0;
};

MeanSd mean_sd(const std::vector<double>& v) {
  double s = 0, ss = 0;
  for (double x : v) s += x;
  const double m = s / static_cast<double>(v.size());
  for (double x : v) ss += (x - m) * (x - m);
  return {m, std::sqrt(ss / static_cast<double>(v.size() - 1))};
}

std::string times_text(const std::vector<double>& t) {
  std::ostringstream s;
  s.precision(3);
  for (std::size_t k = 0; k < t.size(); ++k) s << (k ? ", " : "") << t[k] << " s";
  return s.str();
}

// The converged devices of each level, at most max_devices_per_level of them.
std::map<double, std::vector<Eigen::Index>> devices_by_level(const measurement::Campaign& campaign,
                                                             const AdequacyOptions& options) {
  std::map<double, std::vector<Eigen::Index>> by_level;
  for (Eigen::Index i = 0; i < campaign.num_devices(); ++i) {
    if (!campaign.is_converged(i)) continue;
    auto& devices = by_level[campaign.g_target_uS(i)];
    if (static_cast<Eigen::Index>(devices.size()) < options.max_devices_per_level)
      devices.push_back(i);
  }
  return by_level;
}

// One (level, time) cell compared: its statistics, and the scaled KS distances of the measured
// reads (first) and of each replicate to the pooled reference copies.
struct CheckedCell {
  CellAdequacy cell;
  std::vector<double> distances;
  bool atom = false;  // the reference reads 0: a point mass at 0
};

// `sims` holds the reference copies, then the replicates. Nothing when fewer than min_devices
// reads were measured at time j.
std::optional<CheckedCell> check_cell(const measurement::Campaign& campaign,
                                      const std::vector<Eigen::Index>& devices,
                                      double g_target,
                                      const RowMatrixXd& measured,
                                      const std::vector<RowMatrixXd>& sims,
                                      Eigen::Index j,
                                      const AdequacyOptions& options) {
  const int copies = options.reference_copies, replicates = options.replicates;
  const std::vector<double> meas = finite_column(measured, j);
  if (static_cast<Eigen::Index>(meas.size()) < options.min_devices) return std::nullopt;
  std::vector<double> reference;
  for (int c = 0; c < copies; ++c) {
    const std::vector<double> part = finite_column(sims[static_cast<std::size_t>(c)], j);
    reference.insert(reference.end(), part.begin(), part.end());
  }
  std::sort(reference.begin(), reference.end());
  CheckedCell checked;
  CellAdequacy& cell = checked.cell;
  cell.g_target_uS = g_target;
  std::vector<double> times;
  for (Eigen::Index i : devices)
    if (std::isfinite(campaign.g_uS(i, j))) times.push_back(campaign.time_of(i, j));
  std::sort(times.begin(), times.end());
  cell.t_s = times[times.size() / 2];
  cell.reads = static_cast<Eigen::Index>(meas.size());
  const ReferenceGrid grid = reference_grid(reference);
  cell.ks_distance = grid_ks_distance(meas, grid);
  // D scaled by the two-sample KS's √(n·m/(n + m)): for a continuous distribution, D at the
  // reference's own quantiles is distribution-free, so these cells share one null law.
  const double n_meas = static_cast<double>(meas.size());
  const double n_ref = static_cast<double>(reference.size());
  const double scale = std::sqrt(n_meas * n_ref / (n_meas + n_ref));
  std::vector<double>& d = checked.distances;
  d.resize(static_cast<std::size_t>(replicates) + 1);
  d[0] = scale * cell.ks_distance;
  for (int r = 0; r < replicates; ++r)
    d[static_cast<std::size_t>(r) + 1] =
        scale *
        grid_ks_distance(finite_column(sims[static_cast<std::size_t>(copies + r)], j, false), grid);
  checked.atom = reference.front() <= 0.0;
  const MeanSd m = mean_sd(meas), p = mean_sd(reference);
  cell.mean_error =
      p.sd > 0 ? (m.mean - p.mean) / (p.sd / std::sqrt(static_cast<double>(meas.size()))) : 0;
  cell.spread_ratio = p.sd > 0 ? m.sd / p.sd : 0;
  for (int q = 0; q < kAdequacyQuantiles; ++q) {
    cell.measured_quantiles_uS[q] = quantile(meas, kAdequacyQuantileLevels[q]);
    cell.predicted_quantiles_uS[q] = quantile(reference, kAdequacyQuantileLevels[q]);
  }
  return checked;
}

// The level's cells in time order (computed in parallel: results do not depend on threads),
// after simulating its reference copies and replicates; appends the level to result.levels.
std::vector<CheckedCell> check_level(const measurement::Campaign& campaign,
                                     const device::PcmModel& model,
                                     double g_target,
                                     const std::vector<Eigen::Index>& devices,
                                     const std::vector<LevelParameterErrors>& errors,
                                     const AdequacyOptions& options,
                                     AdequacyResult& result) {
  LevelAdequacy level;
  level.g_target_uS = g_target;
  const LevelParameterErrors* error = nullptr;
  for (const LevelParameterErrors& e : errors)
    if (e.g_target_uS == g_target) error = &e;
  if (static_cast<Eigen::Index>(devices.size()) < options.min_devices)
    level.not_checked = "fewer than " + std::to_string(options.min_devices) + " devices";
  else if (error && !error->fitted)
    level.not_checked = "no fit of its own: the curves' reach";
  level.checked = level.not_checked.empty();
  result.levels.push_back(level);
  if (!level.checked) return {};
  const int copies = options.reference_copies, replicates = options.replicates;
  std::vector<RowMatrixXd> sims;  // the reference copies, then the replicates
  for (int c = 0; c < copies + replicates; ++c)
    sims.push_back(
        simulate_level(campaign, devices, model, options.seed, c, c < copies ? nullptr : error));
  RowMatrixXd measured(static_cast<Eigen::Index>(devices.size()), campaign.num_times());
  for (std::size_t k = 0; k < devices.size(); ++k)
    measured.row(static_cast<Eigen::Index>(k)) = campaign.g_uS.row(devices[k]);
  const Eigen::Index num_times = campaign.num_times();
  std::vector<std::optional<CheckedCell>> cells(static_cast<std::size_t>(num_times));
#pragma omp parallel for schedule(dynamic)
  for (Eigen::Index j = 0; j < num_times; ++j)
    cells[static_cast<std::size_t>(j)] =
        check_cell(campaign, devices, g_target, measured, sims, j, options);
  std::vector<CheckedCell> checked;
  for (auto& cell : cells)
    if (cell) checked.push_back(std::move(*cell));
  return checked;
}

// Each cell's z, and the family-wise threshold. Cells without an atom are standardised by the
// null law they share (pooled over all of them and every replicate: thousands of values, so the
// standardisation itself adds no noise); cells with reads at 0 by their own replicates (each
// replicate against the others). The threshold is a Monte-Carlo test: the k-th largest of the
// R replicates' largest z, k = ⌊α(R + 1)⌋.
void standardise(const std::vector<CheckedCell>& checked,
                 const AdequacyOptions& options,
                 AdequacyResult& result) {
  const int replicates = options.replicates;
  std::vector<double> pool;
  for (const CheckedCell& c : checked)
    if (!c.atom) pool.insert(pool.end(), c.distances.begin() + 1, c.distances.end());
  const MeanSd pooled = pool.size() >= 2 ? mean_sd(pool) : MeanSd{};
  std::vector<double> max_z(static_cast<std::size_t>(replicates), -HUGE_VAL);
  for (std::size_t c = 0; c < checked.size(); ++c) {
    const std::vector<double>& d = checked[c].distances;
    const auto z_of = [&](std::size_t k) {
      if (!checked[c].atom) return pooled.sd > 0 ? (d[k] - pooled.mean) / pooled.sd : 0.0;
      double sum = 0, sum2 = 0;
      for (std::size_t r = 1; r < d.size(); ++r)
        if (r != k) sum += d[r], sum2 += d[r] * d[r];
      const double n = static_cast<double>(replicates - (k == 0 ? 0 : 1));
      const double mean = sum / n;
      const double var = std::max(0.0, (sum2 - n * mean * mean) / (n - 1));
      return var > 0 ? (d[k] - mean) / std::sqrt(var) : 0.0;
    };
    result.cells[c].z = z_of(0);
    for (int r = 0; r < replicates; ++r)
      max_z[static_cast<std::size_t>(r)] =
          std::max(max_z[static_cast<std::size_t>(r)], z_of(static_cast<std::size_t>(r) + 1));
  }
  std::sort(max_z.begin(), max_z.end(), std::greater<>());
  const int k = std::max(1, static_cast<int>(std::floor(options.false_alarm * (replicates + 1))));
  result.threshold_z = checked.empty() ? HUGE_VAL : max_z[static_cast<std::size_t>(k - 1)];
}

// Flags the cells above the threshold and their levels.
void flag_cells(AdequacyResult& result) {
  for (CellAdequacy& cell : result.cells) {
    cell.flagged = cell.z > result.threshold_z;
    result.max_z = std::max(result.max_z, cell.z);
    for (LevelAdequacy& level : result.levels)
      if (level.g_target_uS == cell.g_target_uS) {
        level.max_z = std::max(level.max_z, cell.z);
        if (cell.flagged) {
          level.describes = false;
          level.flagged_times_s.push_back(cell.t_s);
        }
      }
  }
}

// The verdict in one line: every failing level with its failing times when there are few,
// else how many and which levels; then the levels not checked.
void write_verdict(AdequacyResult& result) {
  std::vector<const LevelAdequacy*> failing_levels;
  int checked = 0, flagged_cells = 0;
  for (const LevelAdequacy& level : result.levels) {
    checked += level.checked;
    if (!level.describes) failing_levels.push_back(&level);
  }
  for (const CellAdequacy& cell : result.cells) flagged_cells += cell.flagged;
  result.describes = failing_levels.empty();
  std::ostringstream verdict;  // the detail after "describes the data" / "does not describe ..."
  verdict.precision(4);
  if (!result.describes) {
    verdict << " at ";
    if (failing_levels.size() <= 3) {
      for (std::size_t l = 0; l < failing_levels.size(); ++l)
        verdict << (l ? "; " : "") << "level " << failing_levels[l]->g_target_uS << " uS (times "
                << times_text(failing_levels[l]->flagged_times_s) << ")";
    } else {
      verdict << failing_levels.size() << " of " << checked << " levels (";
      for (std::size_t l = 0; l < failing_levels.size(); ++l)
        verdict << (l ? ", " : "") << failing_levels[l]->g_target_uS;
      verdict << " uS)";
    }
    verdict << ": " << flagged_cells << " of " << result.cells.size()
            << " (level, time) distributions off, largest z " << result.max_z << " against "
            << result.threshold_z;
  }
  const char* separator = "; not checked: ";
  for (const LevelAdequacy& level : result.levels)
    if (!level.checked) {
      verdict << separator << level.g_target_uS << " uS (" << level.not_checked << ")";
      separator = "; ";
    }
  result.verdict_detail = verdict.str();
  result.verdict = (result.describes ? "describes the data" : "does not describe the data") +
                   result.verdict_detail;
}

}  // namespace

void AdequacyOptions::validate() const {
  require_input(replicates >= 19, "", "adequacy.replicates", "must be >= 19", replicates);
  require_input(reference_copies >= 1, "", "adequacy.reference_copies", "must be >= 1",
                reference_copies);
  require_input(false_alarm > 0 && false_alarm < 0.5, "", "adequacy.false_alarm",
                "must be in (0, 0.5)", false_alarm);
  require_input(max_devices_per_level >= min_devices, "", "adequacy.max_devices_per_level",
                "must be >= min_devices", static_cast<double>(max_devices_per_level));
  require_input(min_devices >= 5, "", "adequacy.min_devices", "must be >= 5",
                static_cast<double>(min_devices));
}

AdequacyResult check_model_adequacy(const measurement::Campaign& campaign,
                                    const device::PcmModel& model,
                                    const AdequacyOptions& options,
                                    const std::vector<LevelParameterErrors>& errors) {
  options.validate();
  AdequacyResult result;
  result.replicates = options.replicates;
  result.false_alarm = options.false_alarm;
  std::vector<CheckedCell> checked;
  for (const auto& [g_target, devices] : devices_by_level(campaign, options))
    for (CheckedCell& cell :
         check_level(campaign, model, g_target, devices, errors, options, result)) {
      result.cells.push_back(cell.cell);
      checked.push_back(std::move(cell));
    }
  standardise(checked, options, result);
  flag_cells(result);
  write_verdict(result);
  return result;
}

std::string prediction_verdict(const AdequacyResult& result) {
  return (result.describes ? "predicts the held-out reads"
                           : "does not predict the held-out reads") +
         result.verdict_detail;
}

}  // namespace pcmkit::calibration
