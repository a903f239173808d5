#include "pcmkit/device/device_population.h"

#include <cmath>
#include <string>

#include "pcmkit/core/error.h"

namespace pcmkit::device {
namespace {

void require_after_t0(const PcmModel& model, double t_s) {
  if (!(t_s >= model.t0_s))
    throw InputError("", "time_s",
                     "read time " + std::to_string(t_s) +
                         " s is before t0 = " + std::to_string(model.t0_s) + " s");
}

}  // namespace

DevicePopulation program_devices(const PcmModel& model,
                                 const Eigen::Ref<const Eigen::ArrayXd>& g_target_uS,
                                 std::uint64_t seed,
                                 std::uint64_t first_item) {
  PCMKIT_CHECK((g_target_uS >= 0).all() && g_target_uS.allFinite(), "targets must be finite, >= 0");
  const Eigen::Index n = g_target_uS.size();
  DevicePopulation d;
  d.g_target_uS = g_target_uS;
  d.g_prog_uS.resize(n);
  d.drift_exponent.resize(n);
  d.first_item = first_item;
  const CounterRng prog(seed, RandomStream::kProgramming);
  const CounterRng nu(seed, RandomStream::kDriftExponent);
#pragma omp parallel for schedule(static)
  for (Eigen::Index i = 0; i < n; ++i) {
    const double g_t = g_target_uS[i];
    const std::uint64_t item = first_item + static_cast<std::uint64_t>(i);
    d.g_prog_uS[i] = std::max(0.0, g_t + model.sigma_prog_uS(g_t) * prog.normal(item, 0));
    d.drift_exponent[i] = std::abs(model.mu_nu(g_t) + model.sigma_nu(g_t) * nu.normal(item, 0));
  }
  return d;
}

Eigen::ArrayXd drifted_conductance_uS(const PcmModel& model,
                                      const DevicePopulation& devices,
                                      double t_s) {
  require_after_t0(model, t_s);
  const double log_t = std::log(t_s / model.t0_s);
  // Scalar exp: Eigen's SIMD exp and its scalar remainder can differ by an ulp, which would make
  // a device's G_d depend on its position in the array.
  return devices.g_prog_uS *
         (-devices.drift_exponent * log_t).unaryExpr([](double v) { return std::exp(v); });
}

Eigen::ArrayXd read_conductance_uS(const PcmModel& model,
                                   const DevicePopulation& devices,
                                   double t_s,
                                   std::uint64_t seed,
                                   std::uint64_t read_index) {
  const Eigen::ArrayXd g_drift_uS = drifted_conductance_uS(model, devices, t_s);
  const double band = model.read_noise_band(t_s);
  const CounterRng read(seed, RandomStream::kRead);
  Eigen::ArrayXd g_uS(g_drift_uS.size());
#pragma omp parallel for schedule(static)
  for (Eigen::Index i = 0; i < g_uS.size(); ++i) {
    const double sigma_r = model.q_s(devices.g_target_uS[i]) * std::sqrt(band);
    const std::uint64_t item = devices.first_item + static_cast<std::uint64_t>(i);
    const double xi = read.normal(item, read_index);
    g_uS[i] = std::max(0.0, g_drift_uS[i] + std::abs(g_drift_uS[i]) * sigma_r * xi);
  }
  return g_uS;
}

// The one-device forms repeat the population loops' expressions exactly: both are tested equal.
Device program_device(const PcmModel& model,
                      double g_target_uS,
                      std::uint64_t seed,
                      std::uint64_t item) {
  PCMKIT_CHECK(g_target_uS >= 0 && std::isfinite(g_target_uS), "target must be finite, >= 0");
  const CounterRng prog(seed, RandomStream::kProgramming);
  const CounterRng nu(seed, RandomStream::kDriftExponent);
  const double g_t = g_target_uS;
  Device d;
  d.g_target_uS = g_t;
  d.g_prog_uS = std::max(0.0, g_t + model.sigma_prog_uS(g_t) * prog.normal(item, 0));
  d.drift_exponent = std::abs(model.mu_nu(g_t) + model.sigma_nu(g_t) * nu.normal(item, 0));
  d.item = item;
  return d;
}

Device device_at(const DevicePopulation& devices, Eigen::Index i) {
  PCMKIT_CHECK(i >= 0 && i < devices.g_target_uS.size(), "device index out of range");
  return Device{devices.g_target_uS[i], devices.g_prog_uS[i], devices.drift_exponent[i],
                devices.first_item + static_cast<std::uint64_t>(i)};
}

double drifted_conductance_uS(const PcmModel& model, const Device& device, double t_s) {
  require_after_t0(model, t_s);
  const double log_t = std::log(t_s / model.t0_s);
  return device.g_prog_uS * std::exp(-device.drift_exponent * log_t);
}

double read_conductance_uS(const PcmModel& model,
                           const Device& device,
                           double t_s,
                           std::uint64_t seed,
                           std::uint64_t read_index) {
  const double g_drift_uS = drifted_conductance_uS(model, device, t_s);
  const double band = model.read_noise_band(t_s);
  const CounterRng read(seed, RandomStream::kRead);
  const double sigma_r = model.q_s(device.g_target_uS) * std::sqrt(band);
  const double xi = read.normal(device.item, read_index);
  return std::max(0.0, g_drift_uS + std::abs(g_drift_uS) * sigma_r * xi);
}

}  // namespace pcmkit::device
