// An outside simulator: links the installed pcmkit (built for its own vector unit, this program
// for plain x86-64), reads the installed device model, and samples devices as whole populations
// and one at a time. Arrays cross the boundary both ways: allocated here and read there,
// allocated there and freed here.
// The published model file's path is PUBLISHED_MODEL (CMakeLists.txt).
#include <pcmkit/device/device_population.h>
#include <pcmkit/device/pcm_model.h>
#include <pcmkit/device/pcm_model_json.h>

#include <cmath>
#include <cstdio>

int main() {
  using namespace pcmkit::device;
  const PcmModel model = read_model_file(PUBLISHED_MODEL).model;
  Eigen::ArrayXd g_target_uS = Eigen::ArrayXd::LinSpaced(1000, 0.0, model.g_max_uS);
  const DevicePopulation devices = program_devices(model, g_target_uS, 1, 100);
  const Eigen::ArrayXd g_day_uS = read_conductance_uS(model, devices, 86400.0, 1, 0);
  int mismatches = 0;
  for (Eigen::Index i = 0; i < g_target_uS.size(); ++i) {
    const Device device = program_device(model, g_target_uS[i], 1, 100 + static_cast<unsigned>(i));
    mismatches += device.g_prog_uS != devices.g_prog_uS[i] ||
                  read_conductance_uS(model, device, 86400.0, 1, 0) != g_day_uS[i];
  }
  // The library's own numbers for a few devices, exactly: the install test compares them with
  // pcmkit's static build (tests/install/reference_devices.cpp).
  for (const Eigen::Index i : {0, 1, 250, 500, 999}) {
    std::printf("device %ld: G_prog %a uS, G(1 day) %a uS\n", static_cast<long>(i),
                devices.g_prog_uS[i], g_day_uS[i]);
  }
  const double mean_error_uS = (devices.g_prog_uS - g_target_uS).mean();
  std::printf(
      "1000 devices: mean G_prog - G_T %.3f uS, mean G(1 day) %.3f uS, %d devices differ "
      "drawn alone\n",
      mean_error_uS, g_day_uS.mean(), mismatches);
  return mismatches == 0 && std::abs(mean_error_uS) < 0.2 ? 0 : 1;
}
