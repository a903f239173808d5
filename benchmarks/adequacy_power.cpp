// Does the adequacy check catch data the PCM model does not describe? Draws campaigns from laws
// other than the model's (issue #15), calibrates each and counts how often the check says the
// fitted model does not describe them (the issue asks at least 95% at 2,000 devices per level).
// Usage: adequacy_power [seeds=20] [devices_per_level=2000] [laws=all] [first_seed=1]
// Campaigns: 13 levels from 0 to 30 µS, 18 reads log-spaced from 22 s to 2 days, 50 noise traces
// per level; programming noise and read noise as model A of calibration_coverage, and:
//   rising        a drift exponent of the other sign: G = G_prog·(t/t0)^(+ν), ν as the model's
//   either-sign   ν ~ N(0.01, 0.03²), unfolded: some devices drift up, some down
//   log-time      relaxation linear in ln t towards the middle of the range, as RRAM relaxes:
//                 G = G_prog + r·ln(t/t0)·(G_max/2 − G_prog), r ~ N(0.01, 0.005²): low levels
//                 rise, high ones fall. (A decay G_prog·(1 − r·ln(t/t0)) with small r is
//                 t^(−r) within 0.2% over these times: a power law the check rightly accepts.)
//   noisy-traces  reads as the model, traces with 1.25× the devices' read noise
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "benchmark_command_line.h"
#include "foreign_models.h"
#include "pcmkit/calibration/calibrate.h"
#include "pcmkit/core/random_stream.h"
#include "pcmkit/core/value_list.h"
#include "pcmkit/measurement/virtual_chip.h"

using namespace pcmkit;
using bench::model_a;

namespace {

// Replaces every read with G_prog·law(device, t)·(1 + σ_r(t)·ε), G_prog as the model programs.
template <typename Law>
void redraw_reads(measurement::Campaign& c,
                  const device::PcmModel& m,
                  std::uint64_t seed,
                  Law law) {
  const CounterRng rng(seed, RandomStream::kUser);
  for (Eigen::Index i = 0; i < c.num_devices(); ++i) {
    const double g_t = c.g_target_uS(i);
    const auto item = static_cast<std::uint64_t>(i);
    const double g_prog = std::max(0.0, g_t + m.sigma_prog_uS(g_t) * rng.normal(item, 0));
    for (Eigen::Index j = 0; j < c.num_times(); ++j) {
      const double t = c.time_of(i, j);
      const double g = g_prog * law(rng, item, t / m.t0_s);
      c.g_uS(i, j) = std::max(0.0, g + g * m.sigma_read_rel(g_t, t) *
                                           rng.normal(item, 2 + static_cast<std::uint64_t>(j)));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> all_laws = {"rising", "either-sign", "log-time", "noisy-traces"};
  int seeds = 20, first_seed = 1;
  Eigen::Index devices = 2000;
  std::string laws_text = "rising,either-sign,log-time,noisy-traces";
  CLI::App app{"Power of the adequacy check against laws other than the PCM model's",
               "adequacy_power"};
  app.add_option("seeds", seeds, "campaigns per law")->check(CLI::Range(1, 1 << 20));
  app.add_option("devices_per_level", devices)->check(CLI::Range(1, 1 << 24));
  app.add_option("laws", laws_text, "comma-separated: rising, either-sign, log-time, noisy-traces")
      ->check(
          [&](const std::string& text) {
            for (const std::string& law : split_list(text))
              if (std::find(all_laws.begin(), all_laws.end(), law) == all_laws.end())
                return "no law named '" + law + "'";
            return std::string();
          },
          "LIST");
  app.add_option("first_seed", first_seed)->check(CLI::Range(0, 1 << 30));
  return benchmark::run_benchmark(app, argc, argv, [&] {
    const std::vector<std::string> laws = split_list(laws_text);
    const device::PcmModel m = model_a();
    std::printf(
        "| law | devices/level | flagged | refused (no fit) | of |\n|---|---|---|---|---|\n");
    for (const std::string& law : all_laws) {
      if (std::find(laws.begin(), laws.end(), law) == laws.end()) continue;
      int flagged = 0, refused = 0, runs = 0;
      for (int seed = first_seed; seed < first_seed + seeds; ++seed) {
        measurement::VirtualChipOptions chip;
        for (int k = 0; k < 13; ++k) chip.g_target_uS.push_back(m.g_max_uS * k / 12);
        chip.devices_per_level = devices;
        for (int k = 0; k < 18; ++k)
          chip.times_s.push_back(22 * std::pow(2 * 86400.0 / 22, k / 17.0));
        chip.traces_per_level = 50;
        chip.seed = static_cast<std::uint64_t>(seed);
        measurement::Campaign c = measurement::synthesize_campaign(m, chip);
        const auto s = static_cast<std::uint64_t>(seed);
        if (law == "rising")
          redraw_reads(c, m, s, [&](const CounterRng& r, std::uint64_t i, double t_rel) {
            return std::pow(
                t_rel,
                std::abs(m.mu_nu(c.g_target_uS(static_cast<Eigen::Index>(i))) +
                         m.sigma_nu(c.g_target_uS(static_cast<Eigen::Index>(i))) * r.normal(i, 1)));
          });
        else if (law == "either-sign")
          redraw_reads(c, m, s, [](const CounterRng& r, std::uint64_t i, double t_rel) {
            return std::pow(t_rel, -(0.01 + 0.03 * r.normal(i, 1)));
          });
        else if (law == "log-time")
          redraw_reads(c, m, s, [&](const CounterRng& r, std::uint64_t i, double t_rel) {
            const double g_t = c.g_target_uS(static_cast<Eigen::Index>(i));
            const double towards = (m.g_max_uS / 2 - g_t) / std::max(g_t, 0.5);  // relative
            return std::max(0.0, 1 + (0.01 + 0.005 * r.normal(i, 1)) * std::log(t_rel) * towards);
          });
        else  // noisy-traces
          for (Eigen::Index k = 0; k < c.noise->g_uS.rows(); ++k) {
            const double mean = c.noise->g_uS.row(k).mean();
            c.noise->g_uS.row(k) = (c.noise->g_uS.row(k).array() - mean) * 1.25 + mean;
          }
        try {
          const calibration::CalibrationResult r = calibration::calibrate(c, {});
          ++runs;
          flagged += r.adequacy && !r.adequacy->describes;
          std::fprintf(stderr, "%s seed %d: %s\n", law.c_str(), seed,
                       r.adequacy ? r.adequacy->verdict.substr(0, 160).c_str() : "-");
        } catch (const std::exception& e) {  // a law so far from the model that no fit is made
          ++runs;
          ++refused;
          std::fprintf(stderr, "%s seed %d: calibration refused: %s\n", law.c_str(), seed,
                       e.what());
        }
      }
      std::printf("| %s | %ld | %d | %d | %d |\n", law.c_str(), static_cast<long>(devices), flagged,
                  refused, runs);
      std::fflush(stdout);
    }
    return 0;
  });
}
