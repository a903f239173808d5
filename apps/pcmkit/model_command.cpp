#include "model_command.h"

#include <cmath>
#include <cstdio>

#include "command.h"
#include "pcmkit/core/atomic_file.h"
#include "pcmkit/device/model_curves.h"
#include "pcmkit/device/pcm_model_json.h"

namespace pcmkit::cli {

void add_model_command(CLI::App& app, ModelOptions& o) {
  CLI::App* cmd = app.add_subcommand("model", "Inspect device model files");
  cmd->require_subcommand(1);
  CLI::App* show = cmd->add_subcommand("show", "Print a model's coefficients and derived curves");
  show->add_option("file", o.file, "Model JSON")->required();
  show->callback([&o]() { throw CLI::RuntimeError(run_model_show(o)); });
  CLI::App* published =
      cmd->add_subcommand("published", "Write the published model (Nandakumar 2019) as JSON");
  published->add_option("-o,--output", o.write_published, "File to write")->required();
  published->callback([&o]() { throw CLI::RuntimeError(run_model_published(o)); });
}

int run_model_show(const ModelOptions& o) {
  const device::ModelFile file = device::read_model_file(o.file);
  const device::PcmModel& m = file.model;
  std::printf("%s\n", o.file.c_str());
  if (!m.description.empty()) std::printf("  %s\n", m.description.c_str());
  std::printf("  g_max_uS %g, t0_s %g, t_read_s %g, x_floor %g\n\n", m.g_max_uS, m.t0_s, m.t_read_s,
              m.x_floor);
  std::printf("%-26s %13s %11s  %s\n", "coefficient", "value", "std_error", "status");
  for (const auto& [name, value] : device::coefficient_values(m)) {
    const auto it = file.uncertainty.find(name);
    std::string se = "-", status = file.uncertainty.empty() ? "" : "fitted";
    if (it != file.uncertainty.end()) {
      if (std::isfinite(it->second.std_error)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.3g", it->second.std_error);
        se = buf;
      }
      if (!it->second.identified) status = "not identified (prior)";
    }
    std::printf("%-26s %13.6g %11s  %s\n", name.c_str(), value, se.c_str(), status.c_str());
  }
  std::printf("\n%s", device::model_curve_table(m).c_str());
  if (!file.metadata.empty()) {
    std::printf("\n");
    for (const auto& [key, value] : file.metadata)
      if (key.rfind("goodness_of_fit.levels", 0) != 0)
        std::printf("%-48s %s\n", key.c_str(), value.c_str());
  }
  return kExitOk;
}

int run_model_published(const ModelOptions& o) {
  write_text_atomically(o.write_published, device::model_to_json(device::PcmModel::published()));
  std::printf("wrote %s\n", o.write_published.c_str());
  return kExitOk;
}

}  // namespace pcmkit::cli
