// One device at a time (device_population.h) against the population arrays: the same numbers,
// bit for bit, for every device, time and read.
#include "pcmkit/device/device_population.h"

#include <doctest/doctest.h>
#include <omp.h>

#include <Eigen/Core>
#include <cmath>

#include "pcmkit/core/error.h"

namespace pcmkit::device {
namespace {

constexpr std::uint64_t kSeed = 20201;

Eigen::ArrayXd spread_targets(Eigen::Index n, double g_max_uS) {
  // Levels from 0 to above G_max, so the clips and the floor of x are all met.
  return Eigen::ArrayXd::LinSpaced(n, 0.0, 1.2 * g_max_uS);
}

}  // namespace

TEST_CASE("a device drawn alone is the population's device, bit for bit") {
  const PcmModel model = PcmModel::published();
  const Eigen::ArrayXd targets = spread_targets(2001, model.g_max_uS);
  const std::uint64_t first_item = 7'000'000'000ULL;  // beyond 32 bits
  const int saved_threads = omp_get_max_threads();
  for (const int threads : {1, 2}) {
    omp_set_num_threads(threads);
    const DevicePopulation population = program_devices(model, targets, kSeed, first_item);
    for (const double t_s : {model.t0_s, 3600.0, 86400.0, 3.15e7}) {
      const Eigen::ArrayXd g_d = drifted_conductance_uS(model, population, t_s);
      const Eigen::ArrayXd g_read = read_conductance_uS(model, population, t_s, kSeed, 5);
      Eigen::Index mismatches = 0;
      for (Eigen::Index i = 0; i < targets.size(); ++i) {
        const std::uint64_t item = first_item + static_cast<std::uint64_t>(i);
        const Device alone = program_device(model, targets[i], kSeed, item);
        const Device member = device_at(population, i);
        mismatches += alone.g_prog_uS != population.g_prog_uS[i] ||
                      alone.drift_exponent != population.drift_exponent[i] || member.item != item ||
                      member.g_prog_uS != alone.g_prog_uS ||
                      drifted_conductance_uS(model, alone, t_s) != g_d[i] ||
                      read_conductance_uS(model, alone, t_s, kSeed, 5) != g_read[i];
      }
      CHECK(mismatches == 0);
    }
  }
  omp_set_num_threads(saved_threads);
}

TEST_CASE("one device: reads differ by read index and a read before t0 is refused") {
  const PcmModel model = PcmModel::published();
  const Device device = program_device(model, 10.0, kSeed, 3);
  CHECK(read_conductance_uS(model, device, 100.0, kSeed, 0) !=
        read_conductance_uS(model, device, 100.0, kSeed, 1));
  CHECK(read_conductance_uS(model, device, 100.0, kSeed, 1) ==
        read_conductance_uS(model, device, 100.0, kSeed, 1));
  CHECK_THROWS_AS(drifted_conductance_uS(model, device, 0.5 * model.t0_s), InputError);
  CHECK_THROWS_AS(read_conductance_uS(model, device, 0.5 * model.t0_s, kSeed, 0), InputError);
  CHECK_THROWS_AS(program_device(model, -1.0, kSeed, 0), InternalError);
  CHECK_THROWS_AS(program_device(model, NAN, kSeed, 0), InternalError);
}

}  // namespace pcmkit::device
