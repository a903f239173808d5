// The calibration report: tables (Markdown and CSV) and figures of every fit over its data
// (σ_prog, μ_ν and σ_ν against G_T, Q_s against G_T, trace PSDs). Figures are drawn by gnuplot
// (pngcairo) when it is installed; the data and scripts are written either way.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pcmkit/calibration/calibrate.h"

namespace pcmkit::calibration {

struct ReportFiles {
  std::filesystem::path report;                // report.md
  std::vector<std::filesystem::path> figures;  // PNG files drawn
  std::string figures_skipped;                 // why no figures were drawn, if so
};

// Writes report.md, levels.csv, coefficients.csv, the figure data (*.dat), gnuplot scripts
// (*.gp) and PNG figures into dir (created if missing). Every file is written atomically.
// Errors: RunError when dir cannot be created or written.
ReportFiles write_calibration_report(const CalibrationResult& result,
                                     const std::filesystem::path& dir);

}  // namespace pcmkit::calibration
