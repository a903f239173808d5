// The calibration's model file (model_export.h): calibration_json parses back through
// device::parse_model_json with the same numbers bit for bit, its std_error and not_identified
// sections say what the result says, provenance is complete, and the text is deterministic.
// The campaign is small (10 levels from 2.5 to 25 uS, no level at 0 and no traces), so some
// coefficients are not identified: mu_max, sigma_max, q_max (no level near 0).
#include "pcmkit/calibration/model_export.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "pcmkit/core/error.h"
#include "pcmkit/device/pcm_model_json.h"
#include "pcmkit/measurement/virtual_chip.h"

namespace pcmkit::calibration {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

// Calibrated once for every test case of this file.
const CalibrationResult& result() {
  static const CalibrationResult r = [] {
    measurement::VirtualChipOptions chip;
    for (int l = 1; l <= 10; ++l) chip.g_target_uS.push_back(2.5 * l);
    chip.devices_per_level = 800;
    chip.traces_per_level = 0;
    chip.seed = 5;
    const measurement::Campaign c =
        measurement::synthesize_campaign(device::PcmModel::published(), chip);
    return calibrate(c, CalibrationOptions{});
  }();
  return r;
}

Provenance provenance() {
  Provenance p;
  p.input_file = "campaign \"A\".h5";  // quotes must survive JSON escaping
  p.input_sha256 = std::string(64, 'a');
  p.t0_s = 20.0;
  p.prior = "published";
  return p;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST_CASE("the campaign leaves some coefficients unidentified, among them those no level informs") {
  // A precondition of the tests below, which need identified and unidentified coefficients.
  std::vector<std::string> unidentified;
  std::size_t identified = 0;
  for (const CoefficientFit& c : result().coefficients) {
    if (c.estimate.identified)
      ++identified;
    else
      unidentified.push_back(c.name);
  }
  CHECK(identified >= 8);  // c0, c1, c2, b0, b1, sigma_min, q0, alpha at least
  for (const char* name :
       {"drift_exponent.mu_max", "drift_exponent.sigma_max", "read_noise.q_max"}) {
    CAPTURE(name);
    CHECK(std::find(unidentified.begin(), unidentified.end(), name) != unidentified.end());
  }
}

TEST_CASE("calibration_json -> parse_model_json gives the same numbers bit for bit") {
  const CalibrationResult& r = result();
  const device::ModelFile f = device::parse_model_json(calibration_json(r, provenance()), "m.json");
  CHECK(f.model.description == r.model.description);
  CHECK(same_bits(f.model.g_max_uS, r.model.g_max_uS));
  CHECK(same_bits(f.model.t0_s, r.model.t0_s));
  CHECK(same_bits(f.model.t_read_s, r.model.t_read_s));
  CHECK(same_bits(f.model.x_floor, r.model.x_floor));
  const auto parsed = device::coefficient_values(f.model);
  const auto fitted = device::coefficient_values(r.model);
  REQUIRE(parsed.size() == 15);
  REQUIRE(r.coefficients.size() == 15);
  for (std::size_t k = 0; k < parsed.size(); ++k) {
    CAPTURE(fitted[k].first);
    CHECK(parsed[k].first == fitted[k].first);
    CHECK(r.coefficients[k].name == fitted[k].first);
    CHECK(same_bits(parsed[k].second, fitted[k].second));
    CHECK(same_bits(parsed[k].second, r.coefficients[k].estimate.value));
  }
}

TEST_CASE("std_error equals the result's — not_identified lists exactly the unidentified") {
  const CalibrationResult& r = result();
  const std::string text = calibration_json(r, provenance());
  const device::ModelFile f = device::parse_model_json(text, "m.json");
  std::vector<std::string> expected_not_identified;
  for (const CoefficientFit& c : r.coefficients) {
    CAPTURE(c.name);
    REQUIRE(f.uncertainty.count(c.name) == 1);
    const device::CoefficientUncertainty& u = f.uncertainty.at(c.name);
    CHECK(u.identified == c.estimate.identified);
    if (c.estimate.identified) {
      CHECK(same_bits(u.std_error, c.estimate.std_error));
    } else {
      CHECK(std::isnan(u.std_error));  // written as null: no error for a value held at its prior
      expected_not_identified.push_back(c.name);
    }
  }
  const json j = json::parse(text);
  REQUIRE(j.at("not_identified").is_array());
  CHECK(j.at("not_identified").get<std::vector<std::string>>() == expected_not_identified);
  // Identified std_errors are numbers in the file, unidentified ones null.
  for (const CoefficientFit& c : r.coefficients) {
    const auto dot = c.name.find('.');
    const json& se = j.at("std_error").at(c.name.substr(0, dot)).at(c.name.substr(dot + 1));
    CHECK(se.is_null() == !c.estimate.identified);
  }
}

TEST_CASE("provenance and goodness of fit are present and say what the result says") {
  const CalibrationResult& r = result();
  const Provenance p = provenance();
  const json j = json::parse(calibration_json(r, p));
  CHECK(j.at("schema") == device::kModelSchema);
  const json& prov = j.at("provenance");
  for (const char* key :
       {"generator", "input_file", "input_sha256", "num_devices", "num_not_converged", "num_levels",
        "num_times", "num_traces", "time_span_s", "t0_s", "prior"}) {
    CAPTURE(key);
    CHECK(prov.contains(key));
  }
  CHECK(prov.at("generator").get<std::string>().rfind("pcmkit ", 0) == 0);
  CHECK(prov.at("input_file") == p.input_file);
  CHECK(prov.at("input_sha256") == p.input_sha256);
  CHECK(prov.at("num_devices") == 8000);
  CHECK(prov.at("num_devices") == r.num_devices);
  CHECK(prov.at("num_not_converged") == r.num_not_converged);
  CHECK(prov.at("num_levels") == 10);
  CHECK(prov.at("num_times") == 20);
  CHECK(prov.at("num_traces") == 0);
  CHECK(prov.at("time_span_s") == json::array({25.0, 86400.0}));
  CHECK(prov.at("t0_s") == 20.0);
  CHECK(prov.at("prior") == "published");
  const json& gof = j.at("goodness_of_fit");
  for (const char* key : {"programming_noise", "mu_nu", "sigma_nu", "q_s"}) {
    CAPTURE(key);
    CHECK(gof.at(key).contains("chi2_per_dof"));
  }
  CHECK(gof.at("read_noise_spectrum_chi2_per_dof").is_null());  // no traces
  REQUIRE(gof.at("levels").size() == r.levels.size());
  for (std::size_t l = 0; l < r.levels.size(); ++l) {
    CHECK(gof.at("levels")[l].at("g_target_uS") == r.levels[l].g_target_uS);
    CHECK(gof.at("levels")[l].at("q_s_source") == "drift_residuals");
  }
  // parse_model_json keeps them as display metadata.
  const device::ModelFile f = device::parse_model_json(j.dump(), "m.json");
  bool has_sha = false;
  for (const auto& [key, value] : f.metadata)
    if (key == "provenance.input_sha256") has_sha = value == p.input_sha256;
  CHECK(has_sha);
}

TEST_CASE("deterministic: the same result gives the same bytes") {
  const std::string a = calibration_json(result(), provenance());
  const std::string b = calibration_json(result(), provenance());
  CHECK(a == b);
  CHECK(a.back() == '\n');
  const CalibrationResult copy = result();
  CHECK(calibration_json(copy, provenance()) == a);
}

TEST_CASE("write_calibration_json writes the same text — an unwritable path is a RunError") {
  const fs::path dir = fs::temp_directory_path() / ("pcmkit_export_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path out = dir / "model.json";
  write_calibration_json(result(), provenance(), out);
  std::ifstream in(out, std::ios::binary);
  const std::string written{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  CHECK(written == calibration_json(result(), provenance()));
  CHECK_THROWS_AS(write_calibration_json(result(), provenance(), out / "under_a_file.json"),
                  RunError);
  fs::remove_all(dir);
}

TEST_CASE("coefficient_table: a header and one row per coefficient, status spelled out") {
  const CalibrationResult& r = result();
  const std::vector<std::string> lines = lines_of(coefficient_table(r));
  REQUIRE(lines.size() == 1 + r.coefficients.size());
  for (std::size_t k = 0; k < r.coefficients.size(); ++k) {
    const CoefficientFit& c = r.coefficients[k];
    const std::string& row = lines[k + 1];
    CAPTURE(row);
    CHECK(row.rfind(c.name + " ", 0) == 0);
    CHECK((row.find("not identified") != std::string::npos) == !c.estimate.identified);
  }
}

TEST_CASE("level_table: a header and one row per level, starting with its G_T") {
  const CalibrationResult& r = result();
  const std::vector<std::string> lines = lines_of(level_table(r));
  // Then the legend of the chi2/dof column, and a line per level with rejections or a note.
  REQUIRE(lines.size() >= 2 + r.levels.size());
  CHECK(lines[1 + r.levels.size()].rfind("  chi2/dof: ", 0) == 0);
  REQUIRE(r.levels.size() == 10);
  for (std::size_t l = 0; l < r.levels.size(); ++l) {
    CAPTURE(lines[l + 1]);
    std::istringstream row(lines[l + 1]);
    double g = 0;
    std::string method;
    row >> g >> method;
    CHECK(g == r.levels[l].g_target_uS);
    CHECK(method == "drift_regression");
  }
}

}  // namespace
}  // namespace pcmkit::calibration
