// The outputs of an accuracy-against-time evaluation: a table for people, CSV and JSON for
// programs, and a plot (gnuplot): accuracy against time on a log axis, error bars of one
// standard deviation over realisations, one line per compensation, fp32 as a reference line.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "pcmkit/experiment/drift_evaluation.h"

namespace pcmkit::experiment {

// Everything the run used, recorded in results.json, in the order added. Text is escaped as JSON
// needs (paths may hold quotes or backslashes; bytes that are not UTF-8 become U+FFFD); numbers
// are written so that they read back as the same double (NaN and infinities become null).
class RunSettings {
 public:
  void text(const std::string& key, const std::string& value);
  void number(const std::string& key, double value);
  void integer(const std::string& key, long long value);
  void unsigned_integer(const std::string& key, unsigned long long value);  // seeds
  void flag(const std::string& key, bool value);
  // ("key", JSON value text) pairs; a key added again replaces the earlier value.
  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }
  std::string device_model_json;  // the device model file's JSON text (or "null")

 private:
  void add(const std::string& key, std::string json_text);
  std::vector<std::pair<std::string, std::string>> entries_;
};

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
