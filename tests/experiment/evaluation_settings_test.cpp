// RunSettings and evaluation_settings (experiment/evaluation_settings.h).
#include "pcmkit/experiment/evaluation_settings.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "pcmkit/core/error.h"
#include "pcmkit/core/file_digest.h"

namespace pcmkit {
namespace {

namespace fs = std::filesystem;
using experiment::Compensation;

std::string value_of(const experiment::RunSettings& s, const std::string& key) {
  for (const auto& [k, v] : s.entries())
    if (k == key) return v;
  return "<absent>";
}

TEST_CASE("run settings: JSON value text in the order added, a repeated key replaced in place") {
  experiment::RunSettings s;
  s.text("weights", "we\"ights\\1.h5");
  s.number("adc_range", 0.1);
  s.integer("repeats", 10);
  s.unsigned_integer("seed", 18446744073709551615ULL);
  s.flag("first_layer_digital", false);
  s.integer("repeats", 3);
  const auto& e = s.entries();
  REQUIRE(e.size() == 5);
  CHECK(e[0] == std::pair<std::string, std::string>{"weights", R"("we\"ights\\1.h5")"});
  CHECK(e[1].second == "0.1");  // reads back as the same double
  CHECK(e[2] == std::pair<std::string, std::string>{"repeats", "3"});
  CHECK(e[3].second == "18446744073709551615");
  CHECK(e[4].second == "false");
}

TEST_CASE("run settings: lists of numbers and texts") {
  experiment::RunSettings s;
  s.numbers("times_s", {25.0, 86400.0, 0.1});
  s.texts("compensations", {"none", "gdc"});
  CHECK(s.entries()[0].second == "[25.0,86400.0,0.1]");
  CHECK(s.entries()[1].second == R"(["none","gdc"])");
}

TEST_CASE(
    "evaluation settings name the options' fields and change the fingerprint with any of them") {
  const fs::path dir =
      fs::temp_directory_path() / ("pcmkit_evaluation_settings_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "net.h5") << "weights";
  std::ofstream(dir / "model.json") << R"({"schema": "x"})";
  experiment::DriftEvaluationOptions o;
  o.times_s = {25.0, 86400.0};
  o.compensations = {Compensation::kGdc, Compensation::kAdaBs};
  o.seed = 7;
  experiment::EvaluationInputs in;
  in.arch = "resnet32";
  in.weights = dir / "net.h5";
  in.device_model = dir / "model.json";
  in.data = dir;

  const experiment::RunSettings s = experiment::evaluation_settings(o, in);
  CHECK(value_of(s, "times_s") == "[25.0,86400.0]");
  CHECK(value_of(s, "compensations") == R"(["gdc","adabs"])");
  CHECK(value_of(s, "seed") == "7");
  CHECK(value_of(s, "device") == R"("pcm")");
  CHECK(value_of(s, "weights_sha256") == "\"" + sha256_of_file(dir / "net.h5") + "\"");
  CHECK(value_of(s, "model_sha256") == "\"" + sha256_of_file(dir / "model.json") + "\"");
  CHECK(s.device_model_json == R"({"schema": "x"})");
  CHECK(value_of(s, "adabs_augmentation") == "true");  // CIFAR-10 binaries
  CHECK(value_of(s, "adabs_cutout") == "0");
  CHECK(value_of(s, "resize") == "<absent>");  // image folders only

  CHECK(experiment::evaluation_settings(o, in).fingerprint() == s.fingerprint());
  experiment::DriftEvaluationOptions other = o;
  other.times_s.back() = 86401.0;
  CHECK(experiment::evaluation_settings(other, in).fingerprint() != s.fingerprint());
  other = o;
  other.periphery.adc_bits = 8;
  CHECK(experiment::evaluation_settings(other, in).fingerprint() != s.fingerprint());
  std::ofstream(dir / "model.json") << R"({"schema": "y"})";  // same path, other model
  CHECK(experiment::evaluation_settings(o, in).fingerprint() != s.fingerprint());

  other = o;
  other.ideal_device = true;
  const experiment::RunSettings ideal = experiment::evaluation_settings(other, in);
  CHECK(value_of(ideal, "device") == R"("ideal")");
  CHECK(value_of(ideal, "model") == "<absent>");
  CHECK(ideal.device_model_json == "null");

  in.device_model = dir / "missing.json";
  CHECK_THROWS_AS(experiment::evaluation_settings(o, in), InputError);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace pcmkit
