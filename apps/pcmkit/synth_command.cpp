#include "synth_command.h"

#include <cstdio>

#include "command.h"
#include "pcmkit/core/atomic_file.h"
#include "pcmkit/core/threads.h"
#include "pcmkit/core/value_list.h"
#include "pcmkit/device/pcm_model_json.h"
#include "pcmkit/measurement/campaign_hdf5.h"
#include "pcmkit/measurement/virtual_chip.h"

namespace pcmkit::cli {

void add_synth_command(CLI::App& app, SynthOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "synth", "Draw a virtual measurement campaign (HDF5, pcmkit.measurements/1) from a model");
  cmd->add_option("--model", o.model, "Device model JSON (default: the published model)");
  cmd->add_option("--levels", o.levels,
                  "Target conductances in uS: list or lin:FROM:TO:N (default: 11 from 0 to G_max)");
  cmd->add_option("--devices-per-level", o.devices_per_level, "Devices per level")
      ->capture_default_str();
  cmd->add_option("--times", o.times,
                  "Read times after programming: list or log:FROM:TO:N; "
                  "units s, min, h, d, y")
      ->capture_default_str();
  cmd->add_option("--traces", o.traces, "Noise traces per level (0 = none)")->capture_default_str();
  cmd->add_option("--trace-reads", o.trace_reads, "Reads per trace")->capture_default_str();
  cmd->add_option("--trace-dt", o.trace_dt, "Step between trace reads")->capture_default_str();
  cmd->add_option("--trace-start", o.trace_start, "Time of a trace's first read")
      ->capture_default_str();
  cmd->add_option("--non-converged", o.non_converged,
                  "Fraction of devices whose programming does not converge")
      ->capture_default_str();
  add_seed_option(cmd, o.seed);
  cmd->add_option("--threads", o.threads, "Threads (0 = all cores; results do not depend on it)");
  cmd->add_flag("--quiet", o.quiet, "No progress on stderr");
  cmd->add_option("-o,--output", o.output, "Campaign file to write")->required();
  cmd->callback([&o]() {
    const FlagNames flags = {{"g_target_uS", "--levels"},
                             {"devices_per_level", "--devices-per-level"},
                             {"times_s", "--times"},
                             {"traces_per_level", "--traces"},
                             {"trace_reads", "--trace-reads"},
                             {"trace_dt_s", "--trace-dt"},
                             {"trace_t_start_s", "--trace-start"},
                             {"non_converged_fraction", "--non-converged"},
                             {"threads", "--threads"}};
    throw CLI::RuntimeError(with_flag_names(flags, [&o] { return run_synth(o); }));
  });
}

int run_synth(const SynthOptions& o) {
  set_num_threads(o.threads);
  require_distinct_paths(o.output, "-o", o.model, "--model");
  const device::PcmModel model =
      o.model.empty() ? device::PcmModel::published() : device::read_model_file(o.model).model;
  measurement::VirtualChipOptions chip;
  if (!o.levels.empty()) chip.g_target_uS = parse_number_list(o.levels, "--levels");
  chip.devices_per_level = o.devices_per_level;
  chip.times_s = parse_duration_list(o.times, "--times");
  chip.traces_per_level = o.traces;
  chip.trace_reads = o.trace_reads;
  chip.trace_dt_s = parse_duration_s(o.trace_dt, "--trace-dt");
  chip.trace_t_start_s = parse_duration_s(o.trace_start, "--trace-start");
  chip.non_converged_fraction = o.non_converged;
  chip.seed = o.seed;
  chip.validate(model);
  require_writable(o.output);
  ProgressPrinter progress("pcmkit synth", o.quiet);
  const measurement::Campaign campaign =
      measurement::synthesize_campaign(model, chip, progress.callback());
  measurement::write_campaign(campaign, o.output);
  std::printf("wrote %s: %lld devices x %lld reads, %lld noise traces\n", o.output.c_str(),
              static_cast<long long>(campaign.num_devices()),
              static_cast<long long>(campaign.num_times()),
              static_cast<long long>(campaign.noise ? campaign.noise->g_uS.rows() : 0));
  return kExitOk;
}

}  // namespace pcmkit::cli
