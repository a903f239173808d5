// Converts the public RRAM relaxation measurements (../shared/real-data/rram-relaxation/,
// techB_relaxdata_10k.min.tsv.gz; MIT licence, keep its LICENSE with the data) into a campaign
// file of schema pcmkit.measurements/1, so that `pcmkit calibrate` can be tried on real devices.
//   rram_relaxation_to_campaign techB_relaxdata_10k.min.tsv.gz -o rram.h5 [--g-max-uS 128]
// Input: tab-separated rows, no header: device address, time since programming (s, measured),
// resistance (ohm), conductance G (S), conductance right after programming Gi (S), level =
// int(Gi / Gmax * 32), nominal time (s).
// What the campaign holds, and what it assumes:
//   - a device's target is its level's bin centre, (level + 1/2)·G_max/32: the chip's levels are
//     bins of Gi, not programming targets, so the spread of G within a level includes the bin
//     width (G_max/32 = 4 µS for techB) as well as the devices' own spread;
//   - the reads at the nominal times after 0 (10 ms .. 10⁴ s) at their measured times, per device
//     ([N, T] times; a read the file lacks is NaN at its nominal time); the read at time 0 is Gi
//     itself and cannot be a read at t > 0;
//   - G_max = 128 µS (techB_settings.json); t_read = 1 µs (not given; it only sets the read-noise
//     band's upper edge, 1/(2·t_read));
//   - reads are kept as measured, including any below 0 (an instrument's offset).
#include <zlib.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "pcmkit/core/error.h"
#include "pcmkit/measurement/campaign_hdf5.h"

using namespace pcmkit;

namespace {

constexpr double kNominalTimes[] = {0.01, 0.1, 1, 100, 1000, 10000};
constexpr int kNumTimes = 6;

struct Device {
  int level = -1;
  double g_uS[kNumTimes];
  double t_s[kNumTimes];
};

int nominal_index(double t) {
  for (int j = 0; j < kNumTimes; ++j)
    if (std::abs(t - kNominalTimes[j]) <= 1e-9 * kNominalTimes[j]) return j;
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string input, output;
  double g_max_uS = 128.0;
  CLI::App app{"The public RRAM relaxation measurements as a pcmkit campaign",
               "rram_relaxation_to_campaign"};
  app.add_option("input", input, "RELAXDATA.tsv.gz (techB_relaxdata_10k.min.tsv.gz)")->required();
  app.add_option("-o,--output", output, "campaign file to write (HDF5)")->required();
  app.add_option("--g-max-uS", g_max_uS, "the chip's G_max (µS): levels are bins of G_max/32")
      ->check(CLI::Range(1e-3, 1e6))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "rram_relaxation_to_campaign: error: %s (--help for usage)\n", e.what());
    return 2;
  }
  gzFile in = gzopen(input.c_str(), "rb");
  if (!in) {
    std::fprintf(stderr, "%s: cannot open\n", input.c_str());
    return 2;
  }
  std::map<long, Device> devices;
  char line[4096];
  long row = 0;
  while (gzgets(in, line, sizeof line)) {
    ++row;
    std::istringstream fields(line);
    long address = 0;
    int level = 0;
    double t = 0, resistance = 0, g = 0, gi = 0, nominal = 0;
    if (!(fields >> address >> t >> resistance >> g >> gi >> level >> nominal)) {
      std::fprintf(stderr, "%s: row %ld: not 7 numbers\n", input.c_str(), row);
      gzclose(in);
      return 2;
    }
    if (nominal == 0) continue;  // Gi itself, at t = 0
    const int j = nominal_index(nominal);
    if (j < 0 || !std::isfinite(g) || !(t > 0)) {
      std::fprintf(stderr, "%s: row %ld: unexpected nominal time %g or read\n", input.c_str(), row,
                   nominal);
      gzclose(in);
      return 2;
    }
    Device& d = devices[address];
    if (d.level < 0) {
      d.level = level;
      for (int k = 0; k < kNumTimes; ++k) d.g_uS[k] = NAN, d.t_s[k] = kNominalTimes[k];
    }
    d.g_uS[j] = g * 1e6;
    d.t_s[j] = t;
  }
  gzclose(in);

  measurement::Campaign c;
  c.g_max_uS = g_max_uS;
  c.t_read_s = 1e-6;
  c.description =
      "RRAM relaxation, techB (akashlevy/RRAM-Relaxation-Master-Model, MIT licence): "
      "targets are level bin centres (level + 1/2)*G_max/32; t_read assumed 1 us";
  const auto n = static_cast<Eigen::Index>(devices.size());
  c.g_target_uS.resize(n);
  c.time_s.resize(n, kNumTimes);
  c.g_uS.resize(n, kNumTimes);
  Eigen::Index i = 0;
  for (const auto& [address, d] : devices) {
    c.g_target_uS(i) = (d.level + 0.5) * g_max_uS / 32.0;
    // Measured times that would not increase (a clock glitch) fall back to the nominal ones.
    bool increasing = true;
    for (int k = 1; k < kNumTimes; ++k) increasing = increasing && d.t_s[k] > d.t_s[k - 1];
    for (int k = 0; k < kNumTimes; ++k) {
      c.time_s(i, k) = increasing ? d.t_s[k] : kNominalTimes[k];
      c.g_uS(i, k) = d.g_uS[k];
    }
    ++i;
  }
  try {
    measurement::write_campaign(c, output);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::printf("wrote %s: %ld devices x %d reads (%ld rows read)\n", output.c_str(),
              static_cast<long>(n), kNumTimes, row);
  return 0;
}
