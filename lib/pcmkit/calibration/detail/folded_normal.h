// The folded normal distribution of the drift exponent, ν = |Y| with Y ~ N(μ, σ²)
// (pcm_model.h). Closed forms used by the calibration:
//   E ν         = σ·√(2/π)·exp(−r²/2) + μ·(1 − 2Φ(−r)),   r = μ/σ
//   E ν²        = μ² + σ²
//   E e^(−Lν)   = e^(−Lμ + L²σ²/2)·Φ((μ − Lσ²)/σ) + e^(Lμ + L²σ²/2)·Φ(−(μ + Lσ²)/σ)
// Source: Leone, Nelson & Nottingham, Technometrics 3, 543 (1961).
#pragma once

namespace pcmkit::calibration {

struct FoldedNormal {
  double mu = 0.0;     // location of the underlying normal, ≥ 0
  double sigma = 0.0;  // scale of the underlying normal, ≥ 0
};

double standard_normal_cdf(double z);
double folded_normal_mean(double mu, double sigma);
// E e^(−Lν). Requires: sigma ≥ 0 (sigma = 0 gives e^(−L|μ|)).
double folded_normal_laplace(double l, double mu, double sigma);

// Method-of-moments inverse: the (μ ≥ 0, σ ≥ 0) with E ν = m1 and E ν² = m2.
// When m1² ≥ m2 (no spread left) returns σ = 0, μ = m1; when m1²/m2 ≤ 2/π returns μ = 0.
// Requires: m1 > 0, m2 > 0.
FoldedNormal folded_normal_from_moments(double m1, double m2);

}  // namespace pcmkit::calibration
