#include "calibrate_command.h"

#include <cstdio>
#include <optional>

#include "command.h"
#include "pcmkit/calibration/calibrate.h"
#include "pcmkit/calibration/calibration_report.h"
#include "pcmkit/calibration/model_export.h"
#include "pcmkit/core/atomic_file.h"
#include "pcmkit/core/error.h"
#include "pcmkit/core/file_digest.h"
#include "pcmkit/core/threads.h"
#include "pcmkit/core/value_list.h"
#include "pcmkit/device/pcm_model_json.h"
#include "pcmkit/measurement/campaign_hdf5.h"

namespace pcmkit::cli {
namespace {

FlagNames calibrate_flags() {
  return {{"t0_s", "--t0"}, {"holdout_from_s", "--holdout-times"}, {"threads", "--threads"}};
}

}  // namespace

void add_calibrate_command(CLI::App& app, CalibrateOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "calibrate", "Fit the PCM device model to a measurement file and write the model JSON");
  cmd->add_option("campaign", o.campaign, "Measurement file (HDF5, pcmkit.measurements/1)")
      ->required();
  cmd->add_option("-o,--output", o.output, "Model JSON to write")->required();
  cmd->add_option("--report", o.report_dir, "Directory for the calibration report and figures");
  cmd->add_option("--prior", o.prior,
                  "Model JSON giving starting values and the values of coefficients the data "
                  "cannot determine (default: the published model)");
  cmd->add_option("--t0", o.t0, "Reference time of G_prog after programming")
      ->capture_default_str();
  cmd->add_option("--threads", o.threads, "Threads (0 = all cores; results do not depend on it)");
  cmd->add_option("--holdout-times", o.holdout,
                  "Fit on the reads before this time only (e.g. 1h), then check the fitted "
                  "model's prediction of the later reads");
  cmd->add_flag("--quiet", o.quiet, "No progress on stderr");
  cmd->add_flag("--strict", o.strict,
                "Refuse a file with reads below 0 (default: count them as 0, as the model's "
                "reads are censored at 0, and report how many)");
  cmd->callback([&o]() {
    throw CLI::RuntimeError(with_flag_names(calibrate_flags(), [&o] { return run_calibrate(o); }));
  });
}

int run_calibrate(const CalibrateOptions& o) {
  set_num_threads(o.threads);
  require_distinct_paths(o.output, "-o", o.campaign, "the measurement file");
  require_distinct_paths(o.output, "-o", o.prior, "--prior");
  require_distinct_paths(o.report_dir, "--report", o.output, "-o");
  require_distinct_paths(o.report_dir, "--report", o.campaign, "the measurement file");
  calibration::CalibrationOptions options;
  options.t0_s = parse_duration_s(o.t0, "--t0");
  if (!o.prior.empty()) options.prior = device::read_model_file(o.prior).model;
  if (!o.holdout.empty()) options.holdout_from_s = parse_duration_s(o.holdout, "--holdout-times");
  options.validate();
  const measurement::Campaign campaign =
      measurement::read_campaign(o.campaign, o.strict ? measurement::Campaign::Reads::kNonNegative
                                                      : measurement::Campaign::Reads::kAnySign);
  require_writable(o.output);  // fail before the fit, not after it
  if (!o.report_dir.empty()) require_creatable_directory(o.report_dir);
  ProgressPrinter progress("pcmkit calibrate", o.quiet);
  calibration::CalibrationResult result;
  try {
    result = calibration::calibrate(campaign, options, progress.callback());
  } catch (const InputError& e) {
    // Name the file the problem is in, and the option by its flag.
    throw InputError(o.campaign, flag_for(e.field(), calibrate_flags()), e.problem());
  } catch (const RunError& e) {
    throw RunError(o.campaign + ": " + e.what());  // "no level could be fitted", ...
  }
  calibration::Provenance provenance;
  provenance.input_file = o.campaign;
  provenance.input_sha256 = sha256_of_file(o.campaign);
  provenance.t0_s = options.t0_s;
  provenance.prior = options.prior.description;
  // The model and its report replace an earlier calibration's together or not at all.
  OutputSet outputs;
  outputs.add_text(o.output, calibration::calibration_json(result, provenance));
  std::optional<calibration::ReportFiles> report;
  if (!o.report_dir.empty())
    report = calibration::add_calibration_report(result, o.report_dir, outputs);
  outputs.commit();

  std::printf("Levels (%lld devices, %lld not converged, %lld reads each, %.4g s to %.4g s)\n",
              static_cast<long long>(result.num_devices),
              static_cast<long long>(result.num_not_converged),
              static_cast<long long>(result.num_times), result.t_min_s, result.t_max_s);
  std::fputs(calibration::level_table(result).c_str(), stdout);
  std::printf("\nCoefficients\n");
  std::fputs(calibration::coefficient_table(result).c_str(), stdout);
  if (result.adequacy)
    std::printf(
        "\nAdequacy (the fitted model simulated on this campaign, %d replicates, false "
        "alarm %.0f%%): %s\n",
        result.adequacy->replicates, 100 * result.adequacy->false_alarm,
        result.adequacy->verdict.c_str());
  if (result.holdout)
    std::printf("Held-out reads (from %.4g s on, against the model fitted before): %s\n",
                result.holdout_from_s, calibration::prediction_verdict(*result.holdout).c_str());
  for (const std::string& w : result.warnings) std::printf("note: %s\n", w.c_str());
  std::printf("\nwrote %s\n", o.output.c_str());
  if (report)
    std::printf("wrote %s (%zu figures%s)\n", report->report.c_str(), report->figures.size(),
                report->figures_skipped.empty() ? "" : ("; " + report->figures_skipped).c_str());
  return kExitOk;
}

}  // namespace pcmkit::cli
