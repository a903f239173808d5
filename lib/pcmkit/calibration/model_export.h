// A calibration's outcome as a model file ("pcmkit.device-model/2", pcm_model_json.h): the fitted
// coefficients, their standard errors, which were not identified, goodness of fit and provenance.
#pragma once

#include <filesystem>
#include <string>

#include "pcmkit/calibration/calibrate.h"

namespace pcmkit::calibration {

struct Provenance {
  std::string input_file;    // as the user named it
  std::string input_sha256;  // of the measurement file's bytes
  double t0_s = 20.0;
  std::string prior;  // description of the prior model
};

// The model JSON text. Deterministic: the same result gives the same bytes.
std::string calibration_json(const CalibrationResult& result, const Provenance& provenance);

// Writes calibration_json atomically. Errors: RunError when the file cannot be written.
void write_calibration_json(const CalibrationResult& result,
                            const Provenance& provenance,
                            const std::filesystem::path& path);

// A plain-text table of the coefficients (name, value, standard error, prior, status).
std::string coefficient_table(const CalibrationResult& result);

// A plain-text table of the per-level estimates.
std::string level_table(const CalibrationResult& result);

}  // namespace pcmkit::calibration
