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
