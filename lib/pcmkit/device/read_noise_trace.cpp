#include "pcmkit/device/read_noise_trace.h"

#include <cmath>
#include <complex>
#include <unsupported/Eigen/FFT>
#include <vector>

#include "pcmkit/core/error.h"

namespace pcmkit::device {

// Spectrum convention (see the header): for the length-L series x_k with X_m = Σ_k x_k
// e^{−2πimk/L}, S(f_m) = (2·dt/L)·E|X_m|² for 0 < m < L/2, and S(f_m) = (dt/L)·E|X_m|² at the
// Nyquist bin m = L/2, whose amplitude is real and has no mirror image. Then Var(x) = Σ_{m=1}^{L/2}
// S(f_m)/(L·dt) exactly: every bin, Nyquist included, carries the power S(f_m)·df.
Eigen::ArrayXd sample_relative_trace(const TraceSpec& spec,
                                     std::uint64_t seed,
                                     std::uint64_t trace_item) {
  PCMKIT_CHECK(std::isfinite(spec.q_s) && spec.q_s >= 0, "TraceSpec: q_s must be finite, >= 0");
  PCMKIT_CHECK(spec.gamma > 0 && spec.gamma < 3, "TraceSpec: gamma must be in (0, 3)");
  PCMKIT_CHECK(std::isfinite(spec.dt_s) && spec.dt_s > 0, "TraceSpec: dt_s must be > 0");
  PCMKIT_CHECK(spec.num_reads >= 2, "TraceSpec: num_reads must be >= 2");
  PCMKIT_CHECK(spec.oversample >= 1, "TraceSpec: oversample must be >= 1");
  PCMKIT_CHECK(spec.num_reads <= (Eigen::Index{1} << 40) / spec.oversample,
               "TraceSpec: oversample * num_reads too large");

  Eigen::Index length = spec.num_reads * spec.oversample;
  length += length % 2;
  const Eigen::Index nyquist = length / 2;
  const double df_Hz = 1.0 / (static_cast<double>(length) * spec.dt_s);
  const double q2 = spec.q_s * spec.q_s;
  const double n = static_cast<double>(length);

  const CounterRng rng(seed, RandomStream::kTrace);
  std::vector<std::complex<double>> spectrum(static_cast<std::size_t>(nyquist + 1), 0.0);
  for (Eigen::Index m = 1; m <= nyquist; ++m) {
    const double psd = q2 * std::pow(static_cast<double>(m) * df_Hz, -spec.gamma);
    const std::uint64_t draw = 2 * static_cast<std::uint64_t>(m);
    if (m < nyquist) {
      // E|X_m|² = S·L/(2·dt), split equally between the real and imaginary parts.
      const double amplitude = std::sqrt(psd * n / (4.0 * spec.dt_s));
      spectrum[static_cast<std::size_t>(m)] = {amplitude * rng.normal(trace_item, draw),
                                               amplitude * rng.normal(trace_item, draw + 1)};
    } else {
      // E|X_N|² = S·L/dt, all of it in the real part.
      const double amplitude = std::sqrt(psd * n / spec.dt_s);
      spectrum[static_cast<std::size_t>(m)] = amplitude * rng.normal(trace_item, draw);
    }
  }

  // Half-spectrum to real series; Eigen's inverse includes the 1/L.
  Eigen::FFT<double> fft;
  std::vector<double> series(static_cast<std::size_t>(length));
  fft.inv(series.data(), spectrum.data(), length);
  return Eigen::Map<const Eigen::ArrayXd>(series.data(), spec.num_reads);
}

}  // namespace pcmkit::device
