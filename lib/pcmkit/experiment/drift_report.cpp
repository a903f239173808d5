#include "pcmkit/experiment/drift_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "pcmkit/core/atomic_file.h"
#include "pcmkit/core/detail/gnuplot.h"
#include "pcmkit/core/error.h"

namespace pcmkit::experiment {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

std::string time_label(double t_s) {
  char buf[32];
  if (t_s >= 365.25 * 86400 * 0.999)
    std::snprintf(buf, sizeof buf, "%.3gy", t_s / (365.25 * 86400));
  else if (t_s >= 86400)
    std::snprintf(buf, sizeof buf, "%.3gd", t_s / 86400);
  else if (t_s >= 3600)
    std::snprintf(buf, sizeof buf, "%.3gh", t_s / 3600);
  else
    std::snprintf(buf, sizeof buf, "%.3gs", t_s);
  return buf;
}

}  // namespace

std::string accuracy_table(const DriftEvaluationResult& r) {
  std::ostringstream s;
  char line[160];
  std::snprintf(line, sizeof line, "fp32 accuracy: %.2f%% on %lld test images\n\n",
                r.fp32_accuracy_percent, static_cast<long long>(r.num_test_images));
  s << line;
  std::snprintf(line, sizeof line, "%10s %-6s %16s %8s %8s %8s\n", "time", "comp", "mean ± std (%)",
                "min", "max", "repeats");
  s << line;
  for (const AccuracyPoint& p : r.points) {
    char pm[40];  // a single realisation has no sample s.d.: no "± 0.00"
    if (p.accuracy_percent.size() > 1)
      std::snprintf(pm, sizeof pm, "%.2f ± %.2f", p.mean, p.std);
    else
      std::snprintf(pm, sizeof pm, "%.2f", p.mean);
    std::snprintf(line, sizeof line, "%10s %-6s %16s %8.2f %8.2f %8zu\n", time_label(p.t_s).c_str(),
                  compensation_name(p.compensation), pm, p.min, p.max, p.accuracy_percent.size());
    s << line;
  }
  return s.str();
}

namespace {

// The accuracy axis fits the points that matter: fp32 and every point within 20 points of the
// best, so that compensations a few tenths apart can be told apart; a curve that collapses (e.g.
// no compensation after a day) falls below the axis, and the title says so.
struct AccuracyAxis {
  double lo = 0, hi = 100;
  std::string below;  // compensations with points below the axis, e.g. "none"
};

AccuracyAxis accuracy_axis(const DriftEvaluationResult& r) {
  double best = r.fp32_accuracy_percent;
  for (const AccuracyPoint& p : r.points) best = std::max(best, p.mean);
  double lo = r.fp32_accuracy_percent, hi = r.fp32_accuracy_percent;
  AccuracyAxis axis;
  for (const AccuracyPoint& p : r.points) {
    const std::string name = compensation_name(p.compensation);
    if (p.mean < best - 20) {
      if (axis.below.find(name) == std::string::npos)
        axis.below += (axis.below.empty() ? "" : ", ") + name;
      continue;
    }
    lo = std::min(lo, p.mean - p.std);
    hi = std::max(hi, p.mean + p.std);
  }
  const double pad = std::max(0.5, 0.08 * (hi - lo));
  axis.lo = std::max(0.0, lo - pad);
  axis.hi = std::min(100.0, hi + pad);
  return axis;
}

}  // namespace

std::vector<fs::path> write_drift_results(const DriftEvaluationResult& r,
                                          const RunSettings& settings,
                                          const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) throw RunError(dir.string() + ": cannot create directory");
  OutputSet outputs;  // the data files replace an earlier run's together or not at all

  std::ostringstream csv;
  csv << "t_s,compensation,mean_percent,std_percent,min_percent,max_percent,repeats,fp32_percent\n";
  for (const AccuracyPoint& p : r.points)
    csv << p.t_s << ',' << compensation_name(p.compensation) << ',' << p.mean << ',' << p.std << ','
        << p.min << ',' << p.max << ',' << p.accuracy_percent.size() << ','
        << r.fp32_accuracy_percent << '\n';
  outputs.add_text(dir / "results.csv", csv.str());

  json j;
  j["schema"] = "pcmkit.drift-evaluation/1";
  j["fp32_accuracy_percent"] = r.fp32_accuracy_percent;
  j["num_test_images"] = r.num_test_images;
  j["num_adabs_images"] = r.num_adabs_images;
  json settings_json = json::object();
  for (const auto& [key, value] : settings.entries()) settings_json[key] = json::parse(value);
  j["settings"] = settings_json;
  j["device_model"] =
      json::parse(settings.device_model_json.empty() ? "null" : settings.device_model_json);
  json points = json::array();
  for (const AccuracyPoint& p : r.points) {
    json pj;
    pj["t_s"] = p.t_s;
    pj["compensation"] = compensation_name(p.compensation);
    pj["mean_percent"] = p.mean;
    pj["std_percent"] = p.std;
    pj["min_percent"] = p.min;
    pj["max_percent"] = p.max;
    pj["accuracy_percent"] = p.accuracy_percent;
    points.push_back(pj);
  }
  j["points"] = points;
  outputs.add_text(dir / "results.json",
                   j.dump(2, ' ', false, json::error_handler_t::replace) + "\n");

  // accuracy.dat: one gnuplot block per compensation (t_s mean std).
  std::vector<Compensation> comps;
  for (const AccuracyPoint& p : r.points)
    if (std::find(comps.begin(), comps.end(), p.compensation) == comps.end())
      comps.push_back(p.compensation);
  std::ostringstream dat;
  for (Compensation c : comps) {
    dat << "# " << compensation_name(c) << ": t_s mean_percent std_percent\n";
    for (const AccuracyPoint& p : r.points)
      if (p.compensation == c) dat << p.t_s << ' ' << p.mean << ' ' << p.std << '\n';
    dat << "\n\n";
  }
  outputs.add_text(dir / "accuracy.dat", dat.str());
  std::ostringstream gp;
  gp << "set terminal pngcairo size 900,600 font 'DejaVu Sans,11'\n"
     << "set output 'accuracy.png'\nset logscale x\nset grid\nset key bottom left\n"
     << "set xlabel 'time after programming (s)'\nset ylabel 'test accuracy (%)'\n"
     << "set title 'Accuracy on PCM against time (mean ± 1 s.d. over realisations)";
  const AccuracyAxis axis = accuracy_axis(r);
  if (!axis.below.empty())
    gp << "; " << axis.below << ": below the axis (> 20 points under the best)";
  gp << "'\nset yrange [" << axis.lo << ":" << axis.hi << "]\nplot ";
  for (std::size_t i = 0; i < comps.size(); ++i)
    gp << "'accuracy.dat' index " << i << " using 1:2:3 with yerrorlines lw 2 pt 7 title '"
       << compensation_name(comps[i]) << "', ";
  gp << r.fp32_accuracy_percent << " with lines dt 2 lc rgb 'black' title 'fp32'\n";
  outputs.add_text(dir / "accuracy.gp", gp.str());
  outputs.add_figure(dir / "accuracy.png", "accuracy.gp");
  return outputs.commit();
}

}  // namespace pcmkit::experiment
