// The statistical PCM device model: programming noise, conductance drift with a
// conductance-dependent drift-exponent distribution, and 1/f^γ read noise.
//
// A device programmed to target conductance G_T (µS), with x = max(G_T / G_max, x_floor):
//   programming   G_prog = max(0, G_T + σ_prog(x)·ξ),   σ_prog(x) = max(0, c0 + c1·x + c2·x²)  [µS]
//                 (the polynomial takes x = G_T/G_max without the floor, as aihwkit does)
//   drift exp.    ν = |μ_ν(x) + σ_ν(x)·ξ|,  drawn once per device,
//                 μ_ν(x) = clip(a0 + a1·ln x, μ_min, μ_max),  σ_ν(x) = clip(b0 + b1·ln x, σ_min,
//                 σ_max)
//   drift         G_d(t) = G_prog·(t/t0)^(−ν),  t = seconds since programming ended, t ≥ t0
//   one read      G(t) = max(0, G_d(t) + |G_d(t)|·σ_r(t)·ξ),  fresh ξ per read,
//                 σ_r(t)² = Q_s(x)²·∫ f^(−γ) df over [1/(t + t_read), 1/(2·t_read)],
//                 Q_s(x) = min(q0·x^(−α), q_max)
//   traces        over a short window, (G − G_d)/G_d is a Gaussian process with one-sided power
//                 spectral density Q_s(x)²/f^γ (see read_noise_trace.h).
// ξ are independent standard normal numbers.
//
// Source: Nandakumar et al., ICECS 2019; Joshi et al., Nat. Commun. 11, 2473 (2020), Methods;
// IBM aihwkit PCMLikeNoiseModel. The published coefficients are PcmModel::published().
// Not modelled: temperature dependence, device-to-device correlation, read disturb, the
// dependence of drift on the programming history, stuck devices (the synthetic chip adds the
// latter as "non-converged" devices, outside this model).
#pragma once

#include <string>
#include <vector>

namespace pcmkit::device {

// σ_prog(x) = max(0, c0 + c1·x + c2·x²), in µS.
struct ProgrammingNoise {
  double c0_uS = 0.0;
  double c1_uS = 0.0;
  double c2_uS = 0.0;
};

// Parameters of μ_ν(x) and σ_ν(x) (dimensionless; ln is the natural logarithm).
struct DriftExponent {
  double a0 = 0.0;         // μ_ν intercept at x = 1
  double a1 = 0.0;         // μ_ν slope against ln x
  double mu_min = 0.0;     // lower clip of μ_ν, ≥ 0
  double mu_max = 0.0;     // upper clip of μ_ν, ≥ mu_min
  double b0 = 0.0;         // σ_ν intercept at x = 1
  double b1 = 0.0;         // σ_ν slope against ln x
  double sigma_min = 0.0;  // lower clip of σ_ν, ≥ 0
  double sigma_max = 0.0;  // upper clip of σ_ν, ≥ sigma_min
};

// Q_s(x) = min(q0·x^(−α), q_max); the trace PSD is Q_s²/f^γ (γ in (0, 3)).
struct ReadNoise {
  double q0 = 0.0;
  double alpha = 0.0;
  double q_max = 0.0;
  double gamma = 1.0;
};

struct PcmModel {
  std::string description;
  double g_max_uS = 25.0;    // conductance that x = 1 refers to, > 0
  double t0_s = 20.0;        // reference time of G_prog, > 0
  double t_read_s = 250e-9;  // duration of one read, in [1e-12, t0_s) s
  double x_floor = 1e-7;     // lower bound of x, so ln x and x^(−α) stay finite; in (0, 1)
  ProgrammingNoise programming_noise;
  DriftExponent drift_exponent;
  ReadNoise read_noise;

  // The published model behind Joshi et al. 2020 (aihwkit PCMLikeNoiseModel defaults).
  static PcmModel published();

  // Errors: InputError{source, field, problem} for the first field out of its valid range.
  void validate(const std::string& source) const;

  // x = max(G_T / G_max, x_floor).
  double x(double g_target_uS) const;
  double sigma_prog_uS(double g_target_uS) const;
  double mu_nu(double g_target_uS) const;
  double sigma_nu(double g_target_uS) const;
  double q_s(double g_target_uS) const;
  // ∫ f^(−γ) df over [1/(t + t_read), 1/(2·t_read)]. Requires: t_s ≥ 0.
  double read_noise_band(double t_s) const;
  // σ_r(t) = Q_s(x)·sqrt(read_noise_band(t)): relative standard deviation of one read.
  double sigma_read_rel(double g_target_uS, double t_s) const;
};

// A named coefficient of the model, for tables, JSON and recovery checks.
struct Coefficient {
  std::string name;  // "section.field", e.g. "drift_exponent.mu_max"
  double* value;     // points into the PcmModel passed to coefficients(); not owned
};
// The fitted coefficients (not g_max_uS, t0_s, t_read_s, x_floor), in a fixed order.
std::vector<Coefficient> coefficients(PcmModel& model);
std::vector<std::pair<std::string, double>> coefficient_values(const PcmModel& model);

}  // namespace pcmkit::device
