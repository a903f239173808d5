#include "pcmkit/measurement/virtual_chip.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "pcmkit/core/error.h"
#include "pcmkit/device/device_population.h"
#include "pcmkit/device/read_noise_trace.h"

namespace pcmkit::measurement {
namespace {

std::vector<double> default_levels(double g_max_uS) {
  std::vector<double> levels;
  for (int i = 0; i <= 10; ++i) levels.push_back(g_max_uS * i / 10.0);
  return levels;
}

std::vector<double> default_times() {
  std::vector<double> times;
  const double lo = std::log(25.0), hi = std::log(86400.0);
  for (int j = 0; j < 20; ++j) times.push_back(std::exp(lo + (hi - lo) * j / 19.0));
  times.front() = 25.0;  // exact end points: exp(log(x)) can be an ulp off x
  times.back() = 86400.0;
  return times;
}

void fail(const std::string& option, const std::string& problem) {
  throw InputError("", option, problem);
}

}  // namespace

void VirtualChipOptions::validate(const device::PcmModel& model) const {
  for (double g : g_target_uS)
    if (!(g >= 0 && g <= model.g_max_uS)) {
      std::ostringstream s;
      s << "level " << g << " uS is outside [0, g_max_uS = " << model.g_max_uS << "]";
      fail("g_target_uS", s.str());
    }
  if (devices_per_level < 1) fail("devices_per_level", "must be >= 1");
  for (std::size_t j = 0; j < times_s.size(); ++j) {
    if (!(times_s[j] >= model.t0_s)) {
      std::ostringstream s;
      s << "time " << times_s[j] << " s is before t0 = " << model.t0_s << " s";
      fail("times_s", s.str());
    }
    if (j > 0 && !(times_s[j] > times_s[j - 1])) fail("times_s", "times must increase");
  }
  // A campaign calibrate would refuse is not written: drift is a slope in log t.
  if (times_s.size() == 1) fail("times_s", "one read time: calibrate fits drift from at least two");
  if (!(non_converged_fraction >= 0 && non_converged_fraction < 0.5))
    fail("non_converged_fraction", "must be in [0, 0.5)");
  const double levels = g_target_uS.empty() ? 11.0 : static_cast<double>(g_target_uS.size());
  const double times = times_s.empty() ? 20.0 : static_cast<double>(times_s.size());
  // A campaign must fit in memory: 2e9 reads is 16 GB.
  if (levels * static_cast<double>(devices_per_level) * times > 2e9)
    fail("devices_per_level", "campaign too large (more than 2e9 reads)");
  if (traces_per_level < 0) fail("traces_per_level", "must be >= 0");
  if (trace_reads < 2) fail("trace_reads", "must be >= 2");
  if (levels * static_cast<double>(traces_per_level) * static_cast<double>(trace_reads) > 2e9)
    fail("traces_per_level", "traces too large (more than 2e9 reads)");
  if (!(trace_dt_s > 0)) fail("trace_dt_s", "must be > 0");
  if (!(trace_t_start_s >= model.t0_s)) fail("trace_t_start_s", "must be >= t0");
}

Campaign synthesize_campaign(const device::PcmModel& model,
                             const VirtualChipOptions& options,
                             const ProgressCallback& progress) {
  options.validate(model);
  const std::vector<double> levels =
      options.g_target_uS.empty() ? default_levels(model.g_max_uS) : options.g_target_uS;
  const std::vector<double> times = options.times_s.empty() ? default_times() : options.times_s;
  const Eigen::Index per_level = options.devices_per_level;
  const Eigen::Index n = per_level * static_cast<Eigen::Index>(levels.size());
  const Eigen::Index num_times = static_cast<Eigen::Index>(times.size());
  const std::uint64_t seed = options.seed;

  Campaign c;
  c.g_max_uS = model.g_max_uS;
  c.t_read_s = model.t_read_s;
  c.description =
      "pcmkit virtual chip, seed " + std::to_string(seed) + ", model: " + model.description;
  c.g_target_uS.resize(n);
  for (std::size_t l = 0; l < levels.size(); ++l)
    c.g_target_uS.segment(static_cast<Eigen::Index>(l) * per_level, per_level)
        .setConstant(levels[l]);

  device::DevicePopulation devices = device::program_devices(model, c.g_target_uS.array(), seed);

  // Non-converged devices end far from target (stuck near SET or RESET), outside the model.
  c.converged.assign(static_cast<std::size_t>(n), 1);
  const CounterRng fate(seed, RandomStream::kNonConverged);
  const double g_max = model.g_max_uS;
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto item = static_cast<std::uint64_t>(i);
    if (fate.uniform(item, 0) >= options.non_converged_fraction) continue;
    c.converged[static_cast<std::size_t>(i)] = 0;
    const double g_t = c.g_target_uS[i];
    const double offset = g_max * (0.3 + 0.3 * fate.uniform(item, 1));
    bool up = fate.uniform(item, 2) < 0.5;
    if (g_t - offset < 0) up = true;
    if (g_t + offset > g_max) up = false;
    devices.g_prog_uS[i] = std::clamp(up ? g_t + offset : g_t - offset, 0.0, g_max);
  }
  if (progress) progress({"programming", n, n});

  c.time_s.resize(1, num_times);
  c.g_uS.resize(n, num_times);
  for (Eigen::Index j = 0; j < num_times; ++j) {
    c.time_s(0, j) = times[static_cast<std::size_t>(j)];
    c.g_uS.col(j) = device::read_conductance_uS(model, devices, times[static_cast<std::size_t>(j)],
                                                seed, static_cast<std::uint64_t>(j))
                        .matrix();
    if (progress) progress({"reads", j + 1, num_times});
  }

  if (options.traces_per_level > 0) {
    std::vector<Eigen::Index> traced;
    for (std::size_t l = 0; l < levels.size(); ++l) {
      Eigen::Index taken = 0;
      for (Eigen::Index i = static_cast<Eigen::Index>(l) * per_level;
           i < static_cast<Eigen::Index>(l + 1) * per_level && taken < options.traces_per_level;
           ++i)
        if (c.converged[static_cast<std::size_t>(i)]) {
          traced.push_back(i);
          ++taken;
        }
    }
    const Eigen::Index m = static_cast<Eigen::Index>(traced.size());
    const Eigen::Index r = options.trace_reads;
    NoiseTraces noise;
    noise.device_index.resize(m);
    noise.t_start_s = Eigen::VectorXd::Constant(m, options.trace_t_start_s);
    noise.dt_s = options.trace_dt_s;
    noise.g_uS.resize(m, r);
    const Eigen::ArrayXd t_s =
        options.trace_t_start_s +
        Eigen::ArrayXd::LinSpaced(r, 0, static_cast<double>(r - 1)) * options.trace_dt_s;
    const Eigen::ArrayXd log_t = (t_s / model.t0_s).log();
#pragma omp parallel for schedule(dynamic, 16)
    for (Eigen::Index k = 0; k < m; ++k) {
      const Eigen::Index i = traced[static_cast<std::size_t>(k)];
      noise.device_index[k] = i;
      device::TraceSpec spec;
      spec.q_s = model.q_s(c.g_target_uS[i]);
      spec.gamma = model.read_noise.gamma;
      spec.dt_s = options.trace_dt_s;
      spec.num_reads = r;
      const Eigen::ArrayXd n_rel =
          device::sample_relative_trace(spec, seed, static_cast<std::uint64_t>(i));
      const Eigen::ArrayXd g_drift_uS =
          devices.g_prog_uS[i] * (-devices.drift_exponent[i] * log_t).exp();
      noise.g_uS.row(k) = (g_drift_uS * (1.0 + n_rel)).max(0.0).matrix().transpose();
    }
    if (progress) progress({"traces", m, m});
    c.noise = std::move(noise);
  }
  return c;
}

}  // namespace pcmkit::measurement
