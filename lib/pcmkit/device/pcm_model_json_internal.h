// nlohmann::json forms of the model, for other pcmkit .cpp files (not installed: public headers
// never include nlohmann/json).
#pragma once

#include <nlohmann/json.hpp>

#include "pcmkit/device/pcm_model.h"

namespace pcmkit::device {

// The model's fields as a JSON object, in the documented key order of the schema.
nlohmann::ordered_json model_json_object(const PcmModel& model);

// A "sections" object holding one number per coefficient, e.g. standard errors.
nlohmann::ordered_json coefficient_sections(const std::vector<std::pair<std::string, double>>& v);

}  // namespace pcmkit::device
