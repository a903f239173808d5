// The device model as JSON, schema "pcmkit.device-model/2" (README, "Model files"):
//   { "schema": "pcmkit.device-model/2", "description": "...",
//     "g_max_uS": 25, "t0_s": 20, "t_read_s": 2.5e-7, "x_floor": 1e-7,
//     "programming_noise": {"c0_uS", "c1_uS", "c2_uS"},
//     "drift_exponent": {"a0", "a1", "mu_min", "mu_max", "b0", "b1", "sigma_min", "sigma_max"},
//     "read_noise": {"q0", "alpha", "q_max", "gamma"},
//     optional: "std_error": {same sections, each coefficient's standard error},
//               "not_identified": ["drift_exponent.mu_max", ...],
//               "goodness_of_fit": {...}, "provenance": {...},
//               "adequacy": {...} (new in /2: calibration/model_adequacy.h) }
// Files of schema "pcmkit.device-model/1" (no "adequacy") are read as before.
// Coefficients are plain numbers, so any simulator can read the file without pcmkit.
// Keys beginning with "_" are comments and ignored; any other unknown key is an error.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "pcmkit/device/pcm_model.h"

namespace pcmkit::device {

inline constexpr const char* kModelSchema = "pcmkit.device-model/2";
inline constexpr const char* kModelSchemaV1 = "pcmkit.device-model/1";  // still read

struct CoefficientUncertainty {
  double std_error = 0.0;  // NaN when unknown
  bool identified = true;  // false: held at its prior, the data did not determine it
};

struct ModelFile {
  PcmModel model;
  std::map<std::string, CoefficientUncertainty> uncertainty;  // by coefficient name
  // goodness_of_fit and provenance flattened to "section.key" → value text, for display.
  std::vector<std::pair<std::string, std::string>> metadata;
};

// Parses and validates a model JSON text. source names the file in messages.
// Errors: InputError{source, field, problem} for invalid JSON, a wrong schema, a missing,
//   unknown or mistyped key, and everything PcmModel::validate rejects.
ModelFile parse_model_json(const std::string& text, const std::string& source);

// Reads a model file. Errors: as parse_model_json, plus a missing or unreadable file.
ModelFile read_model_file(const std::filesystem::path& path);

// The plain model as JSON text (no uncertainty section).
std::string model_to_json(const PcmModel& model);

// The model with its "std_error" and "not_identified" sections; coefficients missing from
// `uncertainty` get a null standard error and count as identified.
std::string model_to_json(const PcmModel& model,
                          const std::map<std::string, CoefficientUncertainty>& uncertainty);

}  // namespace pcmkit::device
