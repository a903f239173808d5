// Drawing a figure with gnuplot (a Debian package; figures are optional: without gnuplot the
// data and scripts are still written and the caller says so).
#pragma once

#include <filesystem>
#include <string>

namespace pcmkit {

// True when a `gnuplot` command is on the PATH.
bool have_gnuplot();

// Runs `gnuplot <script>` in `dir` (no shell; output discarded). True when gnuplot ran and
// exited 0. Figures join a run's other outputs through OutputSet::add_figure.
bool run_gnuplot(const std::filesystem::path& dir, const std::string& script);

}  // namespace pcmkit
