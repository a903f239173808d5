// An outside simulator: links the installed pcmkit and samples the published device model.
#include <pcmkit/device/device_population.h>
#include <pcmkit/device/pcm_model.h>

#include <cmath>
#include <cstdio>

int main() {
  const pcmkit::device::PcmModel model = pcmkit::device::PcmModel::published();
  model.validate("published");
  Eigen::ArrayXd g_target_uS = Eigen::ArrayXd::Constant(1000, 10.0);
  const auto devices = pcmkit::device::program_devices(model, g_target_uS, 1);
  const double mean = devices.g_prog_uS.mean();
  std::printf("mean G_prog at 10 uS target: %.3f uS\n", mean);
  return std::abs(mean - 10.0) < 0.2 ? 0 : 1;
}
