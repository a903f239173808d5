// Everything an accuracy-against-time evaluation's results depend on, recorded in results.json
// (drift_report.h) and, as a digest, naming the sweep in its journal (sweep_journal.h), so that
// --resume never mixes in items computed under other settings.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "pcmkit/data/evaluation_data.h"
#include "pcmkit/experiment/drift_evaluation.h"

namespace pcmkit::experiment {

// Settings as ("key", JSON value text) pairs in the order added. Text is escaped as JSON needs
// (paths may hold quotes or backslashes; bytes that are not UTF-8 become U+FFFD); numbers are
// written so that they read back as the same double (NaN and infinities become null).
class RunSettings {
 public:
  void text(const std::string& key, const std::string& value);
  void number(const std::string& key, double value);
  void numbers(const std::string& key, const std::vector<double>& values);
  void texts(const std::string& key, const std::vector<std::string>& values);
  void integer(const std::string& key, long long value);
  void unsigned_integer(const std::string& key, unsigned long long value);  // seeds
  void flag(const std::string& key, bool value);
  // ("key", JSON value text) pairs; a key added again replaces the earlier value.
  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }
  std::string device_model_json;  // the device model file's JSON text (or "null")
  // SHA-256 (hex) of the model text and every entry: equal settings, equal fingerprints.
  std::string fingerprint() const;

 private:
  void add(const std::string& key, std::string json_text);
  std::vector<std::pair<std::string, std::string>> entries_;
};

// Where an evaluation's inputs came from, besides DriftEvaluationOptions.
struct EvaluationInputs {
  std::string arch;                    // e.g. "resnet32"
  std::filesystem::path weights;       // the network's weights file
  std::filesystem::path device_model;  // the device model file; empty with the ideal device
  std::filesystem::path data;          // the test set
  data::DatasetKind data_kind = data::DatasetKind::kCifar10Binary;
  std::filesystem::path calibration_data;  // AdaBS's images; empty: from the data set
  bool adabs_augmentation = true;          // as asked for (applies to CIFAR-10 binaries only)
  int adabs_cutout = 0;                    // Cutout side of the augmentation (0 = none)
  int resize = 0, crop = 0;                // image folders' preprocessing
};

// The settings of an evaluation, in the options' field names ("times_s", "compensations",
// "dac_bits" ...), with the weights' and device model's SHA-256 and the model file's text.
// Errors: InputError when the weights or model file cannot be read.
RunSettings evaluation_settings(const DriftEvaluationOptions& options,
                                const EvaluationInputs& inputs);

}  // namespace pcmkit::experiment
