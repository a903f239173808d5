// The calibration report: tables (Markdown and CSV) and figures of every fit over its data
// (σ_prog, μ_ν and σ_ν against G_T, Q_s against G_T, trace PSDs). Figures are drawn by gnuplot
// (pngcairo) when it is installed; the data and scripts are written either way.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pcmkit/calibration/calibrate.h"
#include "pcmkit/core/atomic_file.h"

namespace pcmkit::calibration {

struct ReportFiles {
  std::filesystem::path dir;                   // the report directory
  std::filesystem::path report;                // report.md
  std::vector<std::string> figure_names;       // <name>.gp scripts written, <name>.png figures
  std::vector<std::filesystem::path> figures;  // PNG files drawn
  std::string figures_skipped;                 // why (some) figures were not drawn, if so
};

// Adds report.md, levels.csv, coefficients.csv, the figure data (*.dat), gnuplot scripts (*.gp)
// and the figures (*.png, drawn now when gnuplot is installed) for dir (created if missing) to
// `outputs`, so that they replace an earlier report together with the caller's other outputs
// (the model JSON). A figure gnuplot cannot draw is recorded in files.figures_skipped (report.md
// still links it); an earlier report's optional figures this one lacks (spectra, adequacy,
// holdout) are removed at commit. Errors: RunError when dir cannot be created or a file cannot be
// written.
ReportFiles add_calibration_report(const CalibrationResult& result,
                                   const std::filesystem::path& dir,
                                   OutputSet& outputs);

// The report on its own: add_calibration_report, then commit.
ReportFiles write_calibration_report(const CalibrationResult& result,
                                     const std::filesystem::path& dir);

}  // namespace pcmkit::calibration
