// Drawing a figure with gnuplot (a Debian package; figures are optional: without gnuplot the
// data and scripts are still written and the caller says so).
#pragma once

#include <filesystem>
#include <string>

namespace pcmkit {

// True when a `gnuplot` command is on the PATH.
bool have_gnuplot();

// Runs `gnuplot <script>` in `dir`, where the script writes `<png>.tmp`, then renames that onto
// `png` (so a failed run leaves no half-drawn figure). Returns false when gnuplot is missing or
// fails, and then removes the temporary and any earlier `png` (a figure of older data). Both
// names are relative to dir.
bool draw_with_gnuplot(const std::filesystem::path& dir,
                       const std::string& script,
                       const std::string& png);

}  // namespace pcmkit
