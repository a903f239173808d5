#include "pcmkit/device/pcm_model_json.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "pcmkit/core/error.h"
#include "pcmkit/core/detail/json_text.h"

namespace pcmkit::device {
namespace {

using json = nlohmann::ordered_json;

const std::vector<std::string> kSections = {"programming_noise", "drift_exponent", "read_noise"};

std::string type_name(const json& v) { return v.type_name(); }

double number(const json& obj,
              const std::string& key,
              const std::string& field,
              const std::string& source) {
  if (!obj.contains(key)) throw InputError(source, field, "missing");
  const json& v = obj.at(key);
  if (!v.is_number()) throw InputError(source, field, "must be a number, not " + type_name(v));
  return v.get<double>();
}

void reject_unknown(const json& obj,
                    const std::set<std::string>& known,
                    const std::string& prefix,
                    const std::string& source) {
  for (const auto& [key, value] : obj.items())
    if (!known.count(key) && (key.empty() || key[0] != '_'))
      throw InputError(source, prefix + key, "unknown key");
}

void flatten(const json& v,
             const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out) {
  if (v.is_object()) {
    for (const auto& [key, value] : v.items()) flatten(value, prefix + "." + key, out);
  } else {
    out.emplace_back(prefix, v.is_string() ? v.get<std::string>() : v.dump());
  }
}

json coefficient_sections(const std::vector<std::pair<std::string, double>>& values);

json model_json_object(const PcmModel& m) {
  json j;
  j["schema"] = kModelSchema;
  j["description"] = m.description;
  j["g_max_uS"] = m.g_max_uS;
  j["t0_s"] = m.t0_s;
  j["t_read_s"] = m.t_read_s;
  j["x_floor"] = m.x_floor;
  const json sections = coefficient_sections(coefficient_values(m));
  for (const auto& [key, value] : sections.items()) j[key] = value;
  return j;
}

json coefficient_sections(const std::vector<std::pair<std::string, double>>& values) {
  json j = json::object();
  for (const auto& [name, value] : values) {
    const auto dot = name.find('.');
    j[name.substr(0, dot)][name.substr(dot + 1)] =
        std::isfinite(value) ? json(value) : json(nullptr);
  }
  return j;
}

}  // namespace

ModelFile parse_model_json(const std::string& text, const std::string& source) {
  check_json_structure(text, source);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw InputError(source, "", json_parse_problem(e));
  }
  if (!j.is_object()) throw InputError(source, "", "not a JSON object");
  if (!j.contains("schema")) throw InputError(source, "schema", "missing");
  const bool v1 = j["schema"].is_string() && j["schema"].get<std::string>() == kModelSchemaV1;
  if (!v1 && (!j["schema"].is_string() || j["schema"].get<std::string>() != kModelSchema))
    throw InputError(source, "schema",
                     "expected \"" + std::string(kModelSchema) + "\" (or \"" + kModelSchemaV1 +
                         "\"), got " + j["schema"].dump());
  std::set<std::string> keys = {"schema",     "description", "g_max_uS",          "t0_s",
                                "t_read_s",   "x_floor",     "programming_noise", "drift_exponent",
                                "read_noise", "std_error",   "not_identified",    "goodness_of_fit",
                                "provenance"};
  if (!v1) keys.insert({"adequacy", "holdout"});  // calibrate's checks (schema /2)
  reject_unknown(j, keys, "", source);

  ModelFile file;
  PcmModel& m = file.model;
  if (j.contains("description")) {
    if (!j["description"].is_string()) throw InputError(source, "description", "must be a string");
    m.description = j["description"].get<std::string>();
  }
  m.g_max_uS = number(j, "g_max_uS", "g_max_uS", source);
  m.t0_s = number(j, "t0_s", "t0_s", source);
  m.t_read_s = number(j, "t_read_s", "t_read_s", source);
  if (j.contains("x_floor")) m.x_floor = number(j, "x_floor", "x_floor", source);

  std::map<std::string, std::set<std::string>> known;
  for (const Coefficient& c : coefficients(m)) {
    const auto dot = c.name.find('.');
    known[c.name.substr(0, dot)].insert(c.name.substr(dot + 1));
  }
  for (const std::string& section : kSections) {
    if (!j.contains(section)) throw InputError(source, section, "missing");
    if (!j[section].is_object()) throw InputError(source, section, "must be an object");
    reject_unknown(j[section], known[section], section + ".", source);
  }
  for (const Coefficient& c : coefficients(m)) {
    const auto dot = c.name.find('.');
    *c.value = number(j[c.name.substr(0, dot)], c.name.substr(dot + 1), c.name, source);
  }

  if (j.contains("std_error")) {
    const json& se = j["std_error"];
    if (!se.is_object()) throw InputError(source, "std_error", "must be an object");
    reject_unknown(se, {kSections.begin(), kSections.end()}, "std_error.", source);
    for (const std::string& section : kSections) {
      if (!se.contains(section)) continue;
      if (!se[section].is_object())
        throw InputError(source, "std_error." + section, "must be an object");
      reject_unknown(se[section], known[section], "std_error." + section + ".", source);
    }
    for (const Coefficient& c : coefficients(m)) {
      const auto dot = c.name.find('.');
      const std::string sec = c.name.substr(0, dot), key = c.name.substr(dot + 1);
      if (!se.contains(sec) || !se[sec].contains(key)) continue;
      const json& v = se[sec][key];
      if (!v.is_number() && !v.is_null())
        throw InputError(source, "std_error." + c.name, "must be a number or null");
      file.uncertainty[c.name].std_error =
          v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>();
    }
  }
  if (j.contains("not_identified")) {
    const json& ni = j["not_identified"];
    if (!ni.is_array()) throw InputError(source, "not_identified", "must be an array");
    for (const json& name : ni) {
      if (!name.is_string()) throw InputError(source, "not_identified", "must hold strings");
      const std::string& n = name.get_ref<const std::string&>();
      const auto dot = n.find('.');
      if (dot == std::string::npos || !known[n.substr(0, dot)].count(n.substr(dot + 1)))
        throw InputError(source, "not_identified", "unknown coefficient \"" + n + "\"");
      file.uncertainty[name.get<std::string>()].identified = false;
    }
  }
  for (const char* section : {"goodness_of_fit", "provenance", "adequacy"})
    if (j.contains(section)) flatten(j[section], section, file.metadata);
  m.validate(source);
  return file;
}

ModelFile read_model_file(const std::filesystem::path& path) {
  return parse_model_json(read_json_file_text(path), path.string());
}

std::string model_to_json(const PcmModel& model) { return model_json_object(model).dump(2) + "\n"; }

std::string model_to_json(const PcmModel& model,
                          const std::map<std::string, CoefficientUncertainty>& uncertainty) {
  json j = model_json_object(model);
  std::vector<std::pair<std::string, double>> se;
  json not_identified = json::array();
  for (const auto& [name, value] : coefficient_values(model)) {
    const auto it = uncertainty.find(name);
    const bool identified = it == uncertainty.end() || it->second.identified;
    se.emplace_back(name, it != uncertainty.end() && identified
                              ? it->second.std_error
                              : std::numeric_limits<double>::quiet_NaN());
    if (!identified) not_identified.push_back(name);
  }
  j["std_error"] = coefficient_sections(se);
  j["not_identified"] = not_identified;
  return j.dump(2) + "\n";
}

}  // namespace pcmkit::device
