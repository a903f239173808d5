// pcmkit calibrate: fit the device model to a measurement campaign.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace pcmkit::cli {

struct CalibrateOptions {
  std::string campaign;
  std::string output;
  std::string report_dir;  // empty = no report
  std::string prior;       // empty = the published model
  std::string t0 = "20";
  int threads = 0;
  bool quiet = false;
  std::string holdout;  // --holdout-times: fit before this time, check the prediction after
  bool strict = false;  // refuse reads below 0 instead of counting them as 0
};

void add_calibrate_command(CLI::App& app, CalibrateOptions& options);
int run_calibrate(const CalibrateOptions& options);

}  // namespace pcmkit::cli
