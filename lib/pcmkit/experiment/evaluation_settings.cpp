#include "pcmkit/experiment/evaluation_settings.h"

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "pcmkit/core/error.h"
#include "pcmkit/core/file_digest.h"

namespace pcmkit::experiment {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

std::string json_text(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string file_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw InputError(path.string(), "", "cannot be read");
  return text;
}

}  // namespace

void RunSettings::add(const std::string& key, std::string json_text) {
  for (auto& [k, v] : entries_)
    if (k == key) {
      v = std::move(json_text);
      return;
    }
  entries_.emplace_back(key, std::move(json_text));
}
void RunSettings::text(const std::string& key, const std::string& value) {
  add(key, json_text(value));
}
void RunSettings::number(const std::string& key, double value) { add(key, json(value).dump()); }
void RunSettings::numbers(const std::string& key, const std::vector<double>& values) {
  add(key, json(values).dump());
}
void RunSettings::texts(const std::string& key, const std::vector<std::string>& values) {
  add(key, json_text(values));
}
void RunSettings::integer(const std::string& key, long long value) { add(key, json(value).dump()); }
void RunSettings::unsigned_integer(const std::string& key, unsigned long long value) {
  add(key, json(value).dump());
}
void RunSettings::flag(const std::string& key, bool value) { add(key, value ? "true" : "false"); }

std::string RunSettings::fingerprint() const {
  std::string text = device_model_json;
  for (const auto& [key, value] : entries_) text += key + "=" + value + "\n";
  return sha256_of_text(text);
}

RunSettings evaluation_settings(const DriftEvaluationOptions& o, const EvaluationInputs& in) {
  RunSettings s;
  s.text("arch", in.arch);
  s.text("weights", in.weights.string());
  s.text("weights_sha256", sha256_of_file(in.weights));
  s.text("device", o.ideal_device ? "ideal" : "pcm");
  if (!o.ideal_device) {
    s.text("model", in.device_model.string());
    s.text("model_sha256", sha256_of_file(in.device_model));
  }
  s.numbers("times_s", o.times_s);
  s.integer("repeats", o.repeats);
  std::vector<std::string> compensations;
  for (Compensation c : o.compensations) compensations.emplace_back(compensation_name(c));
  s.texts("compensations", compensations);
  s.unsigned_integer("seed", o.seed);
  s.integer("max_test_images", o.max_test_images);
  s.integer("adabs_images", o.adabs_images);
  const bool augmented = in.adabs_augmentation && in.data_kind == data::DatasetKind::kCifar10Binary;
  s.flag("adabs_augmentation", augmented);
  s.integer("adabs_cutout", augmented ? in.adabs_cutout : 0);
  s.flag("first_layer_digital", o.first_layer_digital);
  s.flag("last_layer_digital", o.last_layer_digital);
  s.integer("dac_bits", o.periphery.dac_bits);
  s.integer("adc_bits", o.periphery.adc_bits);
  s.number("adc_range", o.periphery.adc_range);
  s.text("tile_size", o.periphery.tile_size_text());
  s.text("data", in.data.string());
  s.text("data_kind", data::dataset_kind_name(in.data_kind));
  s.text("calibration_data", in.calibration_data.string());
  if (in.data_kind == data::DatasetKind::kImageFolder) {
    s.integer("resize", in.resize);
    s.integer("crop", in.crop);
  }
  // The model file as read: coefficients with their standard errors, adequacy and provenance.
  s.device_model_json = o.ideal_device ? "null" : file_text(in.device_model);
  return s;
}

}  // namespace pcmkit::experiment
