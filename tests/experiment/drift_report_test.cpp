// The text table of an evaluation: one line per (time, compensation), mean ± sample s.d. only
// where there is more than one realisation.
#include "pcmkit/experiment/drift_report.h"

#include <doctest/doctest.h>

#include <string>

using namespace pcmkit;
using experiment::AccuracyPoint;
using experiment::Compensation;

namespace {

AccuracyPoint point(double t_s, Compensation c, std::vector<double> accuracy, double std) {
  AccuracyPoint p;
  p.t_s = t_s;
  p.compensation = c;
  p.accuracy_percent = accuracy;
  p.mean = accuracy.front();  // the table prints what it is given
  p.min = accuracy.front();
  p.max = accuracy.back();
  p.std = std;
  return p;
}

std::string line_with(const std::string& table, const std::string& key) {
  const auto at = table.find(key);
  REQUIRE(at != std::string::npos);
  const auto begin = table.rfind('\n', at) + 1;
  return table.substr(begin, table.find('\n', at) - begin);
}

}  // namespace

TEST_CASE("accuracy table: mean ± s.d. over several realisations, the mean alone for one") {
  experiment::DriftEvaluationResult r;
  r.fp32_accuracy_percent = 92.63;
  r.num_test_images = 10000;
  r.points.push_back(point(25.0, Compensation::kGdc, {89.5, 90.1, 90.7}, 0.6));
  r.points.push_back(point(86400.0, Compensation::kAdaBs, {88.25}, 0.0));
  const std::string table = experiment::accuracy_table(r);
  CHECK(table.find("fp32 accuracy: 92.63% on 10000 test images") != std::string::npos);
  const std::string several = line_with(table, "25s");
  CHECK(several.find("89.50 ± 0.60") != std::string::npos);
  CHECK(several.find("gdc") != std::string::npos);
  const std::string one = line_with(table, "1d");
  CHECK(one.find("88.25") != std::string::npos);
  CHECK(one.find("±") == std::string::npos);  // a single value has no sample s.d.
  CHECK(one.find("adabs") != std::string::npos);
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
