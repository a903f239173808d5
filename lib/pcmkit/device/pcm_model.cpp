#include "pcmkit/device/pcm_model.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <sstream>

#include "pcmkit/core/error.h"

namespace pcmkit::device {

PcmModel PcmModel::published() {
  PcmModel m;
  m.description =
      "PCMLikeNoiseModel: Nandakumar et al. ICECS 2019, as used by Joshi et al. Nat. Commun. 2020";
  // aihwkit src/aihwkit/inference/noise/pcm.py (PCMLikeNoiseModel), MIT License, IBM.
  m.g_max_uS = 25.0;
  m.t0_s = 20.0;
  m.t_read_s = 250e-9;
  m.x_floor = 1e-7;
  m.programming_noise = {0.26348, 1.9650, -1.1731};
  m.drift_exponent = {0.0244, -0.0155, 0.049, 0.1, -0.0059, -0.0125, 0.008, 0.045};
  m.read_noise = {0.0088, 0.65, 0.2, 1.0};
  return m;
}

void PcmModel::validate(const std::string& source) const {
  auto finite = [](double v) { return std::isfinite(v); };
  // The bounds keep every derived quantity finite (squares of conductances, (t/t0)^ν, the
  // read-noise band): far beyond any device, well inside double range.
  require_input(finite(g_max_uS) && g_max_uS >= 1e-6 && g_max_uS <= 1e6, source, "g_max_uS",
                "must be in [1e-6, 1e6] uS", g_max_uS);
  require_input(finite(t0_s) && t0_s > 0 && t0_s <= 1e6, source, "t0_s", "must be in (0, 1e6] s",
                t0_s);
  // The read-noise band reaches 1/(2·t_read): a read shorter than a picosecond is not a read.
  require_input(finite(t_read_s) && t_read_s >= 1e-12 && t_read_s < t0_s, source, "t_read_s",
                "must be in [1e-12, t0_s) s", t_read_s);
  require_input(finite(x_floor) && x_floor > 0 && x_floor < 1, source, "x_floor",
                "must be in (0, 1)", x_floor);
  for (const auto& [name, v] : coefficient_values(*this))
    require_input(finite(v), source, name, "must be a finite number", v);
  const ProgrammingNoise& p = programming_noise;
  const double c_bound = 10 * g_max_uS;  // σ_prog of up to ten times G_max at any level
  require_input(std::abs(p.c0_uS) <= c_bound, source, "programming_noise.c0_uS",
                "must be within ±10·g_max_uS", p.c0_uS);
  require_input(std::abs(p.c1_uS) <= c_bound, source, "programming_noise.c1_uS",
                "must be within ±10·g_max_uS", p.c1_uS);
  require_input(std::abs(p.c2_uS) <= c_bound, source, "programming_noise.c2_uS",
                "must be within ±10·g_max_uS", p.c2_uS);
  const DriftExponent& d = drift_exponent;
  for (const auto& [name, v] : {std::pair{"drift_exponent.a0", d.a0}, {"drift_exponent.a1", d.a1},
                                {"drift_exponent.b0", d.b0}, {"drift_exponent.b1", d.b1}})
    require_input(std::abs(v) <= 100, source, name, "must be within ±100", v);
  require_input(d.mu_min >= 0, source, "drift_exponent.mu_min", "must be >= 0", d.mu_min);
  require_input(d.mu_max >= d.mu_min, source, "drift_exponent.mu_max", "must be >= mu_min",
                d.mu_max);
  require_input(d.mu_max <= 1, source, "drift_exponent.mu_max", "must be <= 1", d.mu_max);
  require_input(d.sigma_min >= 0, source, "drift_exponent.sigma_min", "must be >= 0", d.sigma_min);
  require_input(d.sigma_max >= d.sigma_min, source, "drift_exponent.sigma_max",
                "must be >= sigma_min", d.sigma_max);
  require_input(d.sigma_max <= 1, source, "drift_exponent.sigma_max", "must be <= 1", d.sigma_max);
  const ReadNoise& r = read_noise;
  require_input(r.q0 >= 0 && r.q0 <= 10, source, "read_noise.q0", "must be in [0, 10]", r.q0);
  require_input(r.q_max >= 0 && r.q_max <= 10, source, "read_noise.q_max", "must be in [0, 10]",
                r.q_max);
  require_input(r.gamma > 0 && r.gamma < 3, source, "read_noise.gamma", "must be in (0, 3)",
                r.gamma);
  require_input(std::abs(r.alpha) <= 10, source, "read_noise.alpha", "must be in [-10, 10]",
                r.alpha);
}

double PcmModel::x(double g_target_uS) const { return std::max(g_target_uS / g_max_uS, x_floor); }

double PcmModel::sigma_prog_uS(double g_target_uS) const {
  const double xx = g_target_uS / g_max_uS;  // the polynomial is used at x = 0 without a floor
  const ProgrammingNoise& p = programming_noise;
  return std::max(0.0, p.c0_uS + p.c1_uS * xx + p.c2_uS * xx * xx);
}

double PcmModel::mu_nu(double g_target_uS) const {
  const DriftExponent& d = drift_exponent;
  return std::clamp(d.a0 + d.a1 * std::log(x(g_target_uS)), d.mu_min, d.mu_max);
}

double PcmModel::sigma_nu(double g_target_uS) const {
  const DriftExponent& d = drift_exponent;
  return std::clamp(d.b0 + d.b1 * std::log(x(g_target_uS)), d.sigma_min, d.sigma_max);
}

double PcmModel::q_s(double g_target_uS) const {
  const ReadNoise& r = read_noise;
  return std::min(r.q0 * std::pow(x(g_target_uS), -r.alpha), r.q_max);
}

double PcmModel::read_noise_band(double t_s) const {
  const double f_lo = 1.0 / (t_s + t_read_s);
  const double f_hi = 1.0 / (2.0 * t_read_s);
  if (f_lo >= f_hi) return 0.0;
  const double g = read_noise.gamma;
  if (std::abs(g - 1.0) < 1e-12) return std::log(f_hi / f_lo);
  return (std::pow(f_hi, 1.0 - g) - std::pow(f_lo, 1.0 - g)) / (1.0 - g);
}

double PcmModel::sigma_read_rel(double g_target_uS, double t_s) const {
  return q_s(g_target_uS) * std::sqrt(read_noise_band(t_s));
}

std::vector<Coefficient> coefficients(PcmModel& m) {
  auto& p = m.programming_noise;
  auto& d = m.drift_exponent;
  auto& r = m.read_noise;
  return {{"programming_noise.c0_uS", &p.c0_uS},
          {"programming_noise.c1_uS", &p.c1_uS},
          {"programming_noise.c2_uS", &p.c2_uS},
          {"drift_exponent.a0", &d.a0},
          {"drift_exponent.a1", &d.a1},
          {"drift_exponent.mu_min", &d.mu_min},
          {"drift_exponent.mu_max", &d.mu_max},
          {"drift_exponent.b0", &d.b0},
          {"drift_exponent.b1", &d.b1},
          {"drift_exponent.sigma_min", &d.sigma_min},
          {"drift_exponent.sigma_max", &d.sigma_max},
          {"read_noise.q0", &r.q0},
          {"read_noise.alpha", &r.alpha},
          {"read_noise.q_max", &r.q_max},
          {"read_noise.gamma", &r.gamma}};
}

std::vector<std::pair<std::string, double>> coefficient_values(const PcmModel& model) {
  PcmModel copy = model;
  std::vector<std::pair<std::string, double>> out;
  for (const Coefficient& c : coefficients(copy)) out.emplace_back(c.name, *c.value);
  return out;
}

}  // namespace pcmkit::device
