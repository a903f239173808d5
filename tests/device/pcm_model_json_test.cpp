// Model JSON (pcm_model_json.h): model -> JSON -> model bit for bit, the published model file in
// calibration/, the optional uncertainty sections, and the bad-input corpus in
// tests/data/bad_models (manifest.tsv: file, expected field, expected problem substring).
#include "pcmkit/device/pcm_model_json.h"

#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <string>

#include "pcmkit/core/error.h"

namespace pcmkit::device {
namespace {

namespace fs = std::filesystem;

const fs::path kBadModels = fs::path(PCMKIT_TEST_DATA_DIR) / "bad_models";
const fs::path kPublishedFile =
    fs::path(PCMKIT_SOURCE_DIR) / "calibration" / "pcm_like_nandakumar2019.json";

bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

// Every field equal bit for bit (so −0 differs from 0).
void check_same_model(const PcmModel& a, const PcmModel& b) {
  CHECK(a.description == b.description);
  CHECK(same_bits(a.g_max_uS, b.g_max_uS));
  CHECK(same_bits(a.t0_s, b.t0_s));
  CHECK(same_bits(a.t_read_s, b.t_read_s));
  CHECK(same_bits(a.x_floor, b.x_floor));
  const auto ca = coefficient_values(a), cb = coefficient_values(b);
  REQUIRE(ca.size() == cb.size());
  for (std::size_t i = 0; i < ca.size(); ++i) {
    CAPTURE(ca[i].first);
    CHECK(ca[i].first == cb[i].first);
    CHECK(same_bits(ca[i].second, cb[i].second));
  }
}

// A valid model whose numbers are hard to print: thirds, 0.1 + 0.2, −0, denormals, extremes.
PcmModel awkward_model() {
  PcmModel m = PcmModel::published();
  m.description = "awkward \"quoted\"\nsecond line\t\u00b5S \u2713 \\ /";
  m.g_max_uS = std::nextafter(25.0, 26.0);
  m.t0_s = 1.0 / 3.0;
  m.t_read_s = 2.5e-7;
  m.x_floor = std::numeric_limits<double>::denorm_min();
  m.programming_noise = {0.1 + 0.2, -1.0 / 3.0, -std::numeric_limits<double>::denorm_min()};
  m.drift_exponent.a0 = std::nextafter(100.0, 0.0);  // the bound is ±100
  m.drift_exponent.a1 = -0.0;
  m.drift_exponent.mu_min = std::numeric_limits<double>::min();
  m.drift_exponent.mu_max = std::nextafter(1.0, 0.0);
  m.drift_exponent.b0 = -1e-310;
  m.drift_exponent.b1 = 98.76543210987654321;
  m.drift_exponent.sigma_min = 0.0;
  m.drift_exponent.sigma_max = std::nextafter(0.045, 1.0);
  m.read_noise = {1e-300, -9.999999999999998, 10.0, std::nextafter(3.0, 0.0)};
  m.validate("awkward");
  return m;
}

TEST_CASE("model -> JSON -> model is exact") {
  for (const PcmModel& m : {PcmModel::published(), awkward_model()}) {
    const std::string text = model_to_json(m);
    CHECK(text.rfind("{\n  \"schema\": \"pcmkit.device-model/2\"", 0) == 0);
    const ModelFile back = parse_model_json(text, "round_trip.json");
    check_same_model(back.model, m);
    CHECK(back.uncertainty.empty());
    CHECK(back.metadata.empty());
    CHECK(model_to_json(back.model) == text);  // and the text is stable
  }
}

TEST_CASE("the published model file equals PcmModel::published()") {
  const ModelFile file = read_model_file(kPublishedFile);
  check_same_model(file.model, PcmModel::published());
  CHECK(file.uncertainty.empty());
}

// The published model's JSON with `extra` added as further top-level members.
std::string with_members(const std::string& extra) {
  std::string text = model_to_json(PcmModel::published());
  text.erase(text.rfind('}'));
  return text + ", " + extra + "}";
}

TEST_CASE("std_error, not_identified, metadata and comment keys parse") {
  const std::string text = with_members(R"(
    "_comment": "keys starting with _ are ignored",
    "std_error": {"programming_noise": {"c0_uS": 0.01, "c2_uS": null},
                  "read_noise": {"gamma": 0.05, "_note": "ignored"}},
    "not_identified": ["drift_exponent.mu_max", "drift_exponent.sigma_min"],
    "goodness_of_fit": {"levels": 11, "drift": {"r2": 0.98}},
    "provenance": {"campaign": "chip7.h5", "sha256": "abc"})");
  const ModelFile f = parse_model_json(text, "fitted.json");
  check_same_model(f.model, PcmModel::published());
  REQUIRE(f.uncertainty.count("programming_noise.c0_uS") == 1);
  CHECK(f.uncertainty.at("programming_noise.c0_uS").std_error == 0.01);
  CHECK(f.uncertainty.at("programming_noise.c0_uS").identified);
  CHECK(std::isnan(f.uncertainty.at("programming_noise.c2_uS").std_error));
  CHECK(f.uncertainty.at("read_noise.gamma").std_error == 0.05);
  CHECK_FALSE(f.uncertainty.at("drift_exponent.mu_max").identified);
  CHECK_FALSE(f.uncertainty.at("drift_exponent.sigma_min").identified);
  CHECK(f.uncertainty.count("programming_noise.c1_uS") == 0);
  const std::set<std::pair<std::string, std::string>> metadata(f.metadata.begin(),
                                                               f.metadata.end());
  CHECK(metadata ==
        std::set<std::pair<std::string, std::string>>{{"goodness_of_fit.levels", "11"},
                                                      {"goodness_of_fit.drift.r2", "0.98"},
                                                      {"provenance.campaign", "chip7.h5"},
                                                      {"provenance.sha256", "abc"}});
  // Integers are numbers too, and x_floor is optional (default 1e-7).
  std::string ints = model_to_json(PcmModel::published());
  ints.replace(ints.find("\"g_max_uS\": 25.0"), 16, "\"g_max_uS\": 25");
  ints.erase(ints.find("  \"x_floor\""),
             ints.find("\"programming_noise\"") - ints.find("  \"x_floor\""));
  const ModelFile g = parse_model_json(ints, "ints.json");
  CHECK(g.model.g_max_uS == 25.0);
  CHECK(g.model.x_floor == PcmModel{}.x_floor);
}

TEST_CASE("a missing file is an InputError naming it") {
  const fs::path missing = kBadModels / "does_not_exist.json";
  try {
    read_model_file(missing);
    FAIL("no exception");
  } catch (const InputError& e) {
    CHECK(e.file() == missing.string());
    CHECK(std::string(e.what()).find("does_not_exist.json") != std::string::npos);
  }
}

TEST_CASE("bad-input corpus: every file fails with one line naming the file and the field") {
  std::ifstream manifest(kBadModels / "manifest.tsv");
  REQUIRE(manifest);
  std::set<std::string> listed;
  std::string line;
  while (std::getline(manifest, line)) {
    if (line.empty()) continue;
    std::istringstream cols(line);
    std::string name, field, problem;
    std::getline(cols, name, '\t');
    std::getline(cols, field, '\t');
    std::getline(cols, problem, '\t');
    CAPTURE(name);
    listed.insert(name);
    const fs::path path = kBadModels / name;
    REQUIRE(fs::exists(path));
    try {
      read_model_file(path);
      FAIL("no exception");
    } catch (const InputError& e) {
      const std::string what = e.what();
      CAPTURE(what);
      CHECK(what.find('\n') == std::string::npos);
      CHECK(what.find('\r') == std::string::npos);
      CHECK(e.file() == path.string());
      CHECK(what.rfind(path.string() + ": ", 0) == 0);
      if (field.empty()) {
        CHECK(e.field().empty());
      } else {
        CHECK(e.field().find(field) != std::string::npos);
        CHECK(what.find(": " + e.field() + ": ") != std::string::npos);
      }
      CHECK(e.problem().find(problem) != std::string::npos);
    }
  }
  CHECK(listed.size() >= 20);
  for (const auto& entry : fs::directory_iterator(kBadModels)) {  // no file left unlisted
    const std::string name = entry.path().filename().string();
    if (name != "manifest.tsv") CHECK_MESSAGE(listed.count(name) == 1, name << " not in manifest");
  }
}

}  // namespace
TEST_CASE("schema /1 files are still read, and only /2 may carry an adequacy section") {
  const std::string v2 = model_to_json(PcmModel::published());
  std::string v1 = v2;
  v1.replace(v1.find("device-model/2"), 14, "device-model/1");
  CHECK(parse_model_json(v1, "old.json").model.g_max_uS == 25.0);
  const auto with_adequacy = [](std::string text) {
    return text.insert(text.rfind('}'), ", \"adequacy\": {\"describes_the_data\": true}\n");
  };
  const ModelFile f = parse_model_json(with_adequacy(v2), "new.json");
  bool seen = false;
  for (const auto& [key, value] : f.metadata) seen = seen || key == "adequacy.describes_the_data";
  CHECK(seen);
  try {
    parse_model_json(with_adequacy(v1), "old.json");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.field() == "adequacy");
  }
}

}  // namespace pcmkit::device
