#include "pcmkit/device/model_curves.h"

#include <cmath>
#include <cstdio>

namespace pcmkit::device {

std::string model_curve_table(const PcmModel& m) {
  std::string out;
  char line[200];
  std::snprintf(line, sizeof line, "%8s %14s %9s %9s %9s %12s %11s %14s\n", "G_T_uS",
                "sigma_prog_uS", "mu_nu", "sigma_nu", "Q_s", "sigma_r(25s)", "sigma_r(1d)",
                "drift(1d)");
  out += line;
  const double day_s = 86400.0;
  for (int i = 0; i <= 10; ++i) {
    const double g = m.g_max_uS * i / 10.0;
    std::snprintf(line, sizeof line, "%8.3g %14.4f %9.4f %9.4f %9.4f %12.4f %11.4f %14.4f\n", g,
                  m.sigma_prog_uS(g), m.mu_nu(g), m.sigma_nu(g), m.q_s(g),
                  m.sigma_read_rel(g, std::max(25.0, m.t0_s)),
                  m.sigma_read_rel(g, std::max(day_s, m.t0_s)),
                  std::pow(std::max(day_s, m.t0_s) / m.t0_s, -m.mu_nu(g)));
    out += line;
  }
  return out;
}

}  // namespace pcmkit::device
