// Example: program 10,000 devices to one target with the published model and follow their mean
// conductance and spread from t0 to one year. Uses only the public API.
#include <cmath>
#include <cstdio>

#include "pcmkit/device/device_population.h"
#include "pcmkit/device/pcm_model.h"

int main() {
  using namespace pcmkit::device;
  const PcmModel model = PcmModel::published();
  const Eigen::ArrayXd g_target_uS = Eigen::ArrayXd::Constant(10000, 10.0);
  const DevicePopulation devices = program_devices(model, g_target_uS, /*seed=*/7);
  std::printf("%12s %12s %12s\n", "t_s", "mean_G_uS", "sd_G_uS");
  std::uint64_t read_index = 0;
  for (double t_s : {20.0, 60.0, 3600.0, 86400.0, 30 * 86400.0, 365.25 * 86400.0}) {
    const Eigen::ArrayXd g_uS = read_conductance_uS(model, devices, t_s, 7, read_index++);
    const double mean = g_uS.mean();
    const double sd = std::sqrt((g_uS - mean).square().mean());
    std::printf("%12.0f %12.4f %12.4f\n", t_s, mean, sd);
  }
  return 0;
}
