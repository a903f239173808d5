// The outputs of an accuracy-against-time evaluation: a table for people, CSV and JSON for
// programs, and a plot (gnuplot): accuracy against time on a log axis, error bars of one
// standard deviation over realisations, one line per compensation, fp32 as a reference line.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "pcmkit/experiment/drift_evaluation.h"
#include "pcmkit/experiment/evaluation_settings.h"

namespace pcmkit::experiment {

// The text table: time, compensation, mean ± std, min, max.
std::string accuracy_table(const DriftEvaluationResult& result);

// Writes results.csv, results.json, accuracy.dat, accuracy.gp and accuracy.png (when gnuplot can
// draw it; else an earlier run's is removed) into dir (created if missing), together or not at
// all (OutputSet). Returns the files written.
// Errors: RunError when dir cannot be written.
std::vector<std::filesystem::path> write_drift_results(const DriftEvaluationResult& result,
                                                       const RunSettings& settings,
                                                       const std::filesystem::path& dir);

}  // namespace pcmkit::experiment
