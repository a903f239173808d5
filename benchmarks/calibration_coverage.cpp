// Are the calibration's standard errors right? Draws campaigns from models other than the
// published one (issue #15), at lab sizes and large ones, calibrates each, and counts how often
// the truth lies within 2 reported standard errors of each identified coefficient (a calibrated
// error bar: ~95%) and how far the worst one lands.
// Usage: calibration_coverage [seeds=20] [sizes=200,500,2000] [verbose=0] [dump_seed=0] [models=AB]
// Campaigns: 13 levels from 0 to G_max, 18 reads log-spaced from 22 s to 2 days, 0.9% of
// devices not converged; with 50 noise traces per level (1024 reads, 0.1 s apart) or none.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "benchmark_command_line.h"
#include "foreign_models.h"
#include "pcmkit/calibration/calibrate.h"
#include "pcmkit/calibration/model_export.h"
#include "pcmkit/core/value_list.h"
#include "pcmkit/measurement/virtual_chip.h"

using namespace pcmkit;
using bench::model_a;
using bench::model_b;

namespace {

std::vector<double> lin(double from, double to, int n) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(from + (to - from) * i / (n - 1));
  return v;
}

std::vector<double> log_times(double from, double to, int n) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i)
    v.push_back(from * std::pow(to / from, static_cast<double>(i) / (n - 1)));
  return v;
}

struct Tally {
  int identified = 0, within2 = 0, beyond5 = 0, runs = 0, failed = 0, inadequate = 0;
  double worst = 0;
  std::string worst_name;
  std::map<std::string, std::pair<int, int>> per_coefficient;  // within 2, identified
};

}  // namespace

int main(int argc, char** argv) {
  int seeds = 20, dump_seed = 0;
  bool verbose = false;
  std::string models = "AB";
  CLI::App app{"Coverage of the calibration's standard errors on campaigns from other models",
               "calibration_coverage"};
  app.add_option("seeds", seeds, "campaigns per model, size and trace count")
      ->check(CLI::Range(1, 1 << 20));
  std::string sizes_text = "200,500,2000";
  app.add_option("sizes", sizes_text, "devices per level, comma-separated")
      ->check(
          [](const std::string& text) {
            for (int size : parse_integer_list(text, "sizes"))
              if (size < 1) return std::string("must be >= 1");
            return std::string();
          },
          "LIST");
  app.add_option("verbose", verbose, "0 or 1: per-seed failures and misses on stderr");
  app.add_option("dump_seed", dump_seed, "print this seed's tables (0: none)")
      ->check(CLI::Range(0, 1 << 30));
  app.add_option("models", models, "A, B or AB")->check(CLI::IsMember({"A", "B", "AB", "BA"}));
  return benchmark::run_benchmark(app, argc, argv, [&] {
    const std::vector<int> sizes = parse_integer_list(sizes_text, "sizes");
    std::printf(
        "| model | devices/level | traces | runs | identified | within 2 SE | beyond 5 SE | worst "
        "|z| (coefficient) |\n");
    std::printf("|---|---|---|---|---|---|---|---|\n");
    for (const device::PcmModel& truth : {model_a(), model_b()}) {
      if (models.find(truth.description[0]) == std::string::npos) continue;
      const auto true_values = device::coefficient_values(truth);
      for (const Eigen::Index size : sizes)
        for (Eigen::Index traces : {Eigen::Index{50}, Eigen::Index{0}}) {
          Tally t;
          for (int seed = 1; seed <= seeds; ++seed) {
            measurement::VirtualChipOptions chip;
            chip.g_target_uS = lin(0, truth.g_max_uS, 13);
            chip.devices_per_level = size;
            chip.times_s = log_times(22, 2 * 86400.0, 18);
            chip.traces_per_level = traces;
            chip.seed = static_cast<std::uint64_t>(seed);
            const measurement::Campaign campaign = measurement::synthesize_campaign(truth, chip);
            calibration::CalibrationOptions options;
            calibration::CalibrationResult result;
            try {
              result = calibration::calibrate(campaign, options);
            } catch (const std::exception& e) {
              ++t.failed;
              if (verbose) std::fprintf(stderr, "seed %d: %s\n", seed, e.what());
              continue;
            }
            ++t.runs;
            t.inadequate += result.adequacy && !result.adequacy->describes;
            if (verbose && result.adequacy && !result.adequacy->describes)
              std::fprintf(stderr, "seed %d: adequacy: %s\n", seed,
                           result.adequacy->verdict.c_str());
            if (seed == dump_seed)
              std::fprintf(stderr, "%s N=%ld traces=%ld seed %d\n%s%s", truth.description.c_str(),
                           static_cast<long>(size), static_cast<long>(traces), seed,
                           calibration::level_table(result).c_str(),
                           calibration::coefficient_table(result).c_str());
            for (std::size_t k = 0; k < result.coefficients.size(); ++k) {
              const calibration::CoefficientFit& c = result.coefficients[k];
              if (!c.estimate.identified) continue;
              const double z = (c.estimate.value - true_values[k].second) / c.estimate.std_error;
              ++t.identified;
              auto& per = t.per_coefficient[c.name];
              ++per.second;
              if (std::abs(z) <= 2) ++t.within2, ++per.first;
              if (!(std::abs(z) <= 5)) ++t.beyond5;
              if (!(std::abs(z) <= t.worst)) t.worst = std::abs(z), t.worst_name = c.name;
              if (verbose && !(std::abs(z) <= 3))
                std::fprintf(
                    stderr, "%s N=%ld traces=%ld seed %d: %s = %.5g +- %.3g, truth %.5g (z %.1f)\n",
                    truth.description.c_str(), static_cast<long>(size), static_cast<long>(traces),
                    seed, c.name.c_str(), c.estimate.value, c.estimate.std_error,
                    true_values[k].second, z);
            }
          }
          std::printf("| %s | %ld | %ld | %d%s | %d | %.1f%% | %d | %.1f (%s) | %d of %d |\n",
                      truth.description.substr(0, 1).c_str(), static_cast<long>(size),
                      static_cast<long>(traces), t.runs,
                      t.failed ? (" (+" + std::to_string(t.failed) + " failed)").c_str() : "",
                      t.identified, t.identified ? 100.0 * t.within2 / t.identified : 0.0,
                      t.beyond5, t.worst, t.worst_name.c_str(), t.inadequate, t.runs);
          if (verbose)
            for (const auto& [name, counts] : t.per_coefficient)
              std::fprintf(stderr, "    %-28s %d/%d within 2 SE\n", name.c_str(), counts.first,
                           counts.second);
          std::fflush(stdout);
        }
    }
    return 0;
  });
}
