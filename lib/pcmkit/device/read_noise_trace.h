// Read-noise traces: repeated reads of one device over a short window. The relative fluctuation
// n(t) = (G(t) − G_d(t)) / G_d(t) is a stationary Gaussian process with one-sided power spectral
// density S(f) = Q_s²/f^γ (Q_s and γ from pcm_model.h), sampled at a uniform step dt.
//
// Synthesis: Timmer & König, A&A 300, 707 (1995): random Fourier amplitudes with variance S(f)
// on a grid L = oversample·R long, inverse FFT, keep the first R samples (so that the trace is not
// periodic and carries the low-frequency power a real window would). Frequencies below 1/(L·dt)
// carry no power; the PSD is exact in expectation on [1/(L·dt), 1/(2·dt)].
#pragma once

#include <Eigen/Core>
#include <cstdint>

#include "pcmkit/core/random_stream.h"

namespace pcmkit::device {

struct TraceSpec {
  double q_s = 0.0;            // Q_s, ≥ 0
  double gamma = 1.0;          // γ in (0, 3)
  double dt_s = 0.1;           // sampling step, > 0
  Eigen::Index num_reads = 0;  // R ≥ 2
  int oversample = 8;          // L = oversample·R (rounded up to an even number), ≥ 1
};

// R samples of the relative fluctuation n. Random: kTrace stream of `seed`, item = trace_item.
// Requires: spec fields in range (InternalError otherwise). Cost: one FFT of length L.
Eigen::ArrayXd sample_relative_trace(const TraceSpec& spec,
                                     std::uint64_t seed,
                                     std::uint64_t trace_item);

}  // namespace pcmkit::device
