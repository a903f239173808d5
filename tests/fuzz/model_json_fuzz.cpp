// The model reader (device/pcm_model_json.h) on arbitrary text. A model it accepts must also
// run: devices programmed over the whole range, drifted and read up to a year, stay finite and
// non-negative (issue #18: every model `model show` accepts runs through synth and evaluate).
#include <Eigen/Core>
#include <algorithm>
#include <string>

#include "fuzz/fuzz_target.h"
#include "pcmkit/device/device_population.h"
#include "pcmkit/device/pcm_model_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pcmkit;
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz::expect_success_or_input_error([&] {
    const device::PcmModel model = device::parse_model_json(text, "model.json").model;
    Eigen::ArrayXd g_target_uS(5);
    g_target_uS << 0.0, 1e-3 * model.g_max_uS, 0.25 * model.g_max_uS, 0.5 * model.g_max_uS,
        model.g_max_uS;
    const auto devices = device::program_devices(model, g_target_uS, 1);
    fuzz::require(devices.g_prog_uS.allFinite() && (devices.g_prog_uS >= 0).all(),
                  "programmed conductance finite and >= 0");
    fuzz::require(devices.drift_exponent.allFinite() && (devices.drift_exponent >= 0).all(),
                  "drift exponent finite and >= 0");
    const double one_year_s = 365.25 * 86400;
    for (const double t_s : {model.t0_s, std::max(model.t0_s, 86400.0), one_year_s}) {
      const Eigen::ArrayXd g_d = device::drifted_conductance_uS(model, devices, t_s);
      fuzz::require(g_d.allFinite() && (g_d >= 0).all(), "drifted conductance finite and >= 0");
      const Eigen::ArrayXd g = device::read_conductance_uS(model, devices, t_s, 1, 0);
      fuzz::require(g.allFinite() && (g >= 0).all(), "read conductance finite and >= 0");
      for (const double g_t : g_target_uS) {
        const double sigma = model.sigma_read_rel(g_t, t_s);
        fuzz::require(std::isfinite(sigma) && sigma >= 0, "read noise finite and >= 0");
      }
    }
  });
  return 0;
}
