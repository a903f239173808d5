// The devices of tests/install/consumer/main.cpp as pcmkit's own static build (this host's vector
// flags) draws them: the install test requires the installed library to give the same bits to a
// program compiled with plain -O2.
#include <Eigen/Core>
#include <cstdio>

#include "pcmkit/device/device_population.h"
#include "pcmkit/device/pcm_model_json.h"

int main(int argc, char** argv) {
  using namespace pcmkit::device;
  if (argc != 2) {
    std::fprintf(stderr, "usage: install_reference_devices MODEL_JSON\n");
    return 2;
  }
  const PcmModel model = read_model_file(argv[1]).model;
  const Eigen::ArrayXd g_target_uS = Eigen::ArrayXd::LinSpaced(1000, 0.0, model.g_max_uS);
  const DevicePopulation devices = program_devices(model, g_target_uS, 1, 100);
  const Eigen::ArrayXd g_day_uS = read_conductance_uS(model, devices, 86400.0, 1, 0);
  for (const Eigen::Index i : {0, 1, 250, 500, 999}) {
    std::printf("device %ld: G_prog %a uS, G(1 day) %a uS\n", static_cast<long>(i),
                devices.g_prog_uS[i], g_day_uS[i]);
  }
  return 0;
}
