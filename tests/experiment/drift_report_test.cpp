// The text table of an evaluation: one line per (time, compensation), mean ± sample s.d. only
// where there is more than one realisation.
#include "pcmkit/experiment/drift_report.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
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

TEST_CASE("results files: the CSV carries fp32, the plot's axis fits the compensated points") {
  // GDC and AdaBS a point apart near 91%, no compensation collapsed to 10%: an axis from 10 to
  // 100 would hide their difference; the axis spans them and fp32, and the title names "none".
  experiment::DriftEvaluationResult r;
  r.fp32_accuracy_percent = 93.0;
  r.num_test_images = 10000;
  r.points.push_back(point(25.0, Compensation::kGdc, {91.0, 91.4}, 0.3));
  r.points.push_back(point(25.0, Compensation::kAdaBs, {92.0, 92.2}, 0.2));
  r.points.push_back(point(86400.0, Compensation::kNone, {10.0, 10.0}, 0.0));
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / "pcmkit_drift_report_test";
  std::filesystem::remove_all(dir);
  experiment::write_drift_results(r, {}, dir);
  const auto read = [&](const char* name) {
    std::ifstream in(dir / name);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string csv = read("results.csv");
  CHECK(csv.rfind("t_s,compensation,mean_percent,std_percent,min_percent,max_percent,repeats,"
                  "fp32_percent\n",
                  0) == 0);
  CHECK(csv.find(",93\n") != std::string::npos);
  const std::string gp = read("accuracy.gp");
  const auto at = gp.find("set yrange [");
  REQUIRE(at != std::string::npos);
  double lo = 0, hi = 0;
  REQUIRE(std::sscanf(gp.c_str() + at, "set yrange [%lf:%lf]", &lo, &hi) == 2);
  CHECK(lo > 85);  // 91 − 0.3 less a little padding
  CHECK(lo < 90.7);
  CHECK(hi > 93);  // fp32 on the axis
  CHECK(hi < 96);
  CHECK(gp.find("none: below the axis") != std::string::npos);
  std::filesystem::remove_all(dir);
}
