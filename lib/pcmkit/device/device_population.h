// Sampling a population of PCM devices from a PcmModel (equations in pcm_model.h): program once,
// then drift and read them at any time after t0. Each device keeps its G_prog and ν.
#pragma once

#include <Eigen/Core>
#include <cstdint>

#include "pcmkit/core/random_stream.h"
#include "pcmkit/device/pcm_model.h"

namespace pcmkit::device {

struct DevicePopulation {
  Eigen::ArrayXd g_target_uS;     // G_T, ≥ 0
  Eigen::ArrayXd g_prog_uS;       // G_prog, conductance at t0 without read noise
  Eigen::ArrayXd drift_exponent;  // ν ≥ 0
  std::uint64_t first_item = 0;   // random-stream item of device 0 (devices i use first_item + i)
};

// Programs devices to g_target_uS. Device i draws its programming noise and ν as item
// first_item + i of the kProgramming and kDriftExponent streams of `seed`.
// Requires: model valid; g_target_uS finite and ≥ 0. Threads: OpenMP over devices, results
// independent of the thread count. Cost: O(N).
DevicePopulation program_devices(const PcmModel& model,
                                 const Eigen::Ref<const Eigen::ArrayXd>& g_target_uS,
                                 std::uint64_t seed,
                                 std::uint64_t first_item = 0);

// G_d(t) = G_prog·(t/t0)^(−ν) for every device. Requires: t_s ≥ t0 (else InputError).
Eigen::ArrayXd drifted_conductance_uS(const PcmModel& model,
                                      const DevicePopulation& devices,
                                      double t_s);

// One read of every device at time t_s. read_index selects the read-noise draw (the same
// read_index gives the same noise). Random: kRead stream, item = device item, draw = read_index.
// Requires: t_s ≥ t0 (else InputError).
Eigen::ArrayXd read_conductance_uS(const PcmModel& model,
                                   const DevicePopulation& devices,
                                   double t_s,
                                   std::uint64_t seed,
                                   std::uint64_t read_index);

// One device at a time, for simulators that keep their own storage or draw devices lazily:
// program_device(model, g_T, seed, item) is device i of program_devices(model, targets, seed,
// first_item) when item = first_item + i and g_T = targets[i], and the drifted and read
// conductances below are the population's element i, bit for bit (tests/device).
struct Device {
  double g_target_uS = 0.0;     // G_T, ≥ 0
  double g_prog_uS = 0.0;       // G_prog, conductance at t0 without read noise
  double drift_exponent = 0.0;  // ν ≥ 0
  std::uint64_t item = 0;       // the device's random-stream item
};

// Requires: model valid; g_target_uS finite and ≥ 0.
Device program_device(const PcmModel& model,
                      double g_target_uS,
                      std::uint64_t seed,
                      std::uint64_t item);

// Device i of a population. Requires: 0 ≤ i < devices.g_target_uS.size().
Device device_at(const DevicePopulation& devices, Eigen::Index i);

// G_d(t) of one device. Requires: t_s ≥ t0 (else InputError).
double drifted_conductance_uS(const PcmModel& model, const Device& device, double t_s);

// One read of one device at t_s (the kRead draw read_index of its item).
// Requires: t_s ≥ t0 (else InputError).
double read_conductance_uS(const PcmModel& model,
                           const Device& device,
                           double t_s,
                           std::uint64_t seed,
                           std::uint64_t read_index);

}  // namespace pcmkit::device
