// pcmkit synth: draw a virtual measurement campaign from a device model.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace pcmkit::cli {

struct SynthOptions {
  std::string model;  // empty = the published model
  std::string levels;
  long devices_per_level = 10000;
  std::string times = "log:25:1d:20";
  long traces = 200;
  long trace_reads = 1024;
  std::string trace_dt = "0.1";
  std::string trace_start = "1000";
  double non_converged = 0.009;
  std::uint64_t seed = 1;
  int threads = 0;
  bool quiet = false;
  std::string output;
};

void add_synth_command(CLI::App& app, SynthOptions& options);
int run_synth(const SynthOptions& options);

}  // namespace pcmkit::cli
