// Calibration speed and memory on the paper's array size: 1,000,000 devices × 20 reads (plus
// 200 noise traces of 1024 reads per level). Reads the campaign file and calibrates it, as
// `pcmkit calibrate` does, in a child process so that its peak memory is measured alone; then
// the same for a simple baseline fit (per-device unweighted log-log regression and per-level
// sample moments: no read-noise model, no deconvolution, no censoring, no Ceres) and prints the
// ratio. Usage: calibrate_benchmark [num_devices] [campaign.h5]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>

#include "benchmark_command_line.h"
#include "pcmkit/calibration/calibrate.h"
#include "pcmkit/core/threads.h"
#include "pcmkit/measurement/campaign_hdf5.h"
#include "pcmkit/measurement/virtual_chip.h"

using namespace pcmkit;
using Clock = std::chrono::steady_clock;

namespace {

struct ChildRun {
  double seconds = 0;
  double peak_mib = 0;
  bool ok = false;
};

// Runs this program again as `argv0 mode file` (a fresh process: OpenMP does not survive fork);
// wall time and the child's peak resident memory.
ChildRun in_child(const char* mode, const std::string& file) {
  const auto start = Clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/proc/self/exe", "calibrate_benchmark", mode, file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  ChildRun r;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.peak_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;
  r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return r;
}

// The baseline: what a quick script would do.
void baseline_fit(const measurement::Campaign& c) {
  std::map<double, std::vector<double>> nu_by_level, g0_by_level;
  const double t0 = 20.0;
  for (Eigen::Index i = 0; i < c.num_devices(); ++i) {
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (Eigen::Index j = 0; j < c.num_times(); ++j) {
      const double g = c.g_uS(i, j);
      if (!(g > 0)) continue;
      const double x = std::log(c.time_of(i, j) / t0), y = std::log(g);
      n += 1;
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
    }
    if (n < 3) continue;
    const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    nu_by_level[c.g_target_uS[i]].push_back(-slope);
    g0_by_level[c.g_target_uS[i]].push_back(std::exp((sy - slope * sx) / n));
  }
  double checksum = 0;
  for (auto& [g, v] : nu_by_level) {
    double m = 0, s = 0;
    for (double x : v) m += x;
    m /= static_cast<double>(v.size());
    for (double x : v) s += (x - m) * (x - m);
    checksum += m + std::sqrt(s / static_cast<double>(v.size()));
  }
  if (!std::isfinite(checksum)) throw std::runtime_error("baseline produced NaN");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--child-pcmkit") {
    const measurement::Campaign c = measurement::read_campaign(argv[2]);
    return calibration::calibrate(c, {}).coefficients.empty() ? 1 : 0;
  }
  if (argc == 3 && std::string(argv[1]) == "--child-baseline") {
    baseline_fit(measurement::read_campaign(argv[2]));
    return 0;
  }
  long devices = 1000000;
  std::string file = "/tmp/pcmkit_calibrate_benchmark.h5";
  CLI::App app{"Calibration speed and memory on the paper's array size, against a plain fit",
               "calibrate_benchmark"};
  app.add_option("num_devices", devices, "devices of the campaign (11 levels)")
      ->check(CLI::Range(11L, 100000000L));
  app.add_option("campaign", file, "where the campaign is written (removed at the end)")
      ->capture_default_str();
  return benchmark::run_benchmark(app, argc, argv, [&] {
    std::fprintf(stderr, "calibrate_benchmark: %d threads, %ld devices\n", num_threads(), devices);

    {
      measurement::VirtualChipOptions chip;
      chip.devices_per_level = (devices + 10) / 11;
      chip.seed = 2020;
      const auto start = Clock::now();
      const measurement::Campaign c =
          measurement::synthesize_campaign(device::PcmModel::published(), chip);
      measurement::write_campaign(c, file);
      std::fprintf(stderr, "campaign: %lld devices x %lld reads written in %.1f s\n",
                   static_cast<long long>(c.num_devices()), static_cast<long long>(c.num_times()),
                   std::chrono::duration<double>(Clock::now() - start).count());
    }

    const ChildRun ours = in_child("--child-pcmkit", file);
    const ChildRun base = in_child("--child-baseline", file);
    std::remove(file.c_str());

    std::printf("%-34s %10s %12s\n", "", "wall_s", "peak_MiB");
    std::printf("%-34s %10.2f %12.0f\n", "pcmkit read + calibrate", ours.seconds, ours.peak_mib);
    std::printf("%-34s %10.2f %12.0f\n", "baseline read + log-log OLS", base.seconds,
                base.peak_mib);
    std::printf("ratio pcmkit / baseline: time %.2f, memory %.2f\n", ours.seconds / base.seconds,
                ours.peak_mib / base.peak_mib);
    const bool pass = ours.ok && base.ok && ours.seconds < 30 && ours.peak_mib < 2048;
    std::printf("target (< 30 s, < 2 GiB for 1e6 devices x 20 reads): %s\n",
                pass ? "met" : "NOT met");
    return ours.ok && base.ok ? 0 : 1;
  });
}
