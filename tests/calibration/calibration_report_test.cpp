// write_calibration_report (calibration_report.h): the files it promises, their row counts, no
// temporary left behind, the gnuplot / no-gnuplot branches, and an unwritable directory.
#include "pcmkit/calibration/calibration_report.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "pcmkit/core/error.h"
#include "pcmkit/measurement/virtual_chip.h"
#include "test_support/temp_dir.h"

namespace pcmkit::calibration {
namespace {

namespace fs = std::filesystem;

const char* const kFigures[] = {"programming_noise", "mu_nu",    "sigma_nu",  "q_s",
                                "spectra",           "adequacy", "adequacy_z"};

// A small campaign with traces, calibrated once for every test case of this file.
const CalibrationResult& result() {
  static const CalibrationResult r = [] {
    measurement::VirtualChipOptions chip;
    chip.devices_per_level = 500;  // default 11 levels, 0 .. 25 uS
    chip.traces_per_level = 8;
    chip.trace_reads = 256;
    chip.seed = 7;
    const measurement::Campaign c =
        measurement::synthesize_campaign(device::PcmModel::published(), chip);
    return calibrate(c, CalibrationOptions{});
  }();
  return r;
}

using test::TempDir;

std::vector<std::string> lines_of(const fs::path& p) {
  std::vector<std::string> out;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Whether an executable gnuplot is on PATH (looked up here, not by the library's shell test).
bool gnuplot_on_path() {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::istringstream dirs(path);
  for (std::string d; std::getline(dirs, d, ':');) {
    if (d.empty()) continue;
    if (::access((fs::path(d) / "gnuplot").c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::vector<std::string> temporaries_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename();
    if (name.find(".tmp") != std::string::npos) out.push_back(name);
  }
  return out;
}

// PATH set to another value for one scope, restored afterwards.
class ScopedPath {
 public:
  explicit ScopedPath(const std::string& value) {
    if (const char* old = std::getenv("PATH")) old_ = old;
    ::setenv("PATH", value.c_str(), 1);
  }
  ~ScopedPath() {
    if (old_)
      ::setenv("PATH", old_->c_str(), 1);
    else
      ::unsetenv("PATH");
  }

 private:
  std::optional<std::string> old_;
};

TEST_CASE("report.md, CSV tables, figure data and scripts — PNGs when gnuplot is on PATH") {
  const CalibrationResult& r = result();
  REQUIRE(r.spectrum.available);  // the traces give a spectra figure too
  TempDir tmp;
  const fs::path dir = tmp.path() / "new" / "report";  // created if missing
  const ReportFiles files = write_calibration_report(r, dir);

  CHECK(files.report == dir / "report.md");
  REQUIRE(fs::is_regular_file(files.report));
  CHECK(fs::file_size(files.report) > 0);

  const std::vector<std::string> levels = lines_of(dir / "levels.csv");
  REQUIRE(levels.size() == 1 + r.levels.size());
  CHECK(levels.size() == 12);
  CHECK(levels[0].rfind("g_target_uS,", 0) == 0);
  // The adequacy figure's data: a gnuplot block per checked level, a line per read time.
  REQUIRE(r.adequacy.has_value());
  const std::vector<std::string> adequacy = lines_of(dir / "adequacy.dat");
  const auto rows = std::count_if(adequacy.begin(), adequacy.end(),
                                  [](const std::string& l) { return !l.empty() && l[0] != '#'; });
  CHECK(rows == static_cast<long>(r.adequacy->cells.size()));
  CHECK(r.adequacy->cells.size() == 11 * 20);
  const std::string md = [&] {
    std::ifstream in(files.report);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  CHECK(md.find("## Adequacy") != std::string::npos);
  // Which estimator gave which level: the zero level is censored, the others regressions.
  CHECK(md.find("## Estimators") != std::string::npos);
  CHECK(md.find("- Levels 0 µS (reads reach 0): method of moments") != std::string::npos);
  CHECK(md.find("γ and Q_s from the traces' spectra") != std::string::npos);
  const std::vector<std::string> coefficients = lines_of(dir / "coefficients.csv");
  REQUIRE(coefficients.size() == 16);  // header + 15 coefficients
  CHECK(coefficients[0] == "coefficient,value,std_error,prior,identified");
  for (std::size_t k = 0; k < 15; ++k)
    CHECK(coefficients[k + 1].rfind(r.coefficients[k].name + ",", 0) == 0);

  for (const char* name : kFigures) {
    CAPTURE(name);
    const std::string data = std::string(name) == "adequacy_z" ? "adequacy" : name;  // shared
    CHECK(fs::is_regular_file(dir / (data + ".dat")));
    CHECK(fs::is_regular_file(dir / (std::string(name) + ".gp")));
  }

  if (gnuplot_on_path()) {
    CHECK(files.figures_skipped.empty());
    CHECK(files.figures.size() == std::size(kFigures));
    for (const char* name : kFigures) {
      CAPTURE(name);
      const fs::path png = dir / (std::string(name) + ".png");
      CHECK(fs::is_regular_file(png));
      CHECK(fs::file_size(png) > 0);
    }
  } else {
    MESSAGE("gnuplot is not on PATH: only the no-figure branch is checked");
    CHECK_FALSE(files.figures_skipped.empty());
    CHECK(files.figures.empty());
  }
  CHECK(temporaries_in(dir).empty());
}

TEST_CASE("a quantity no level identified is drawn as its curve alone, the key says so") {
  // E.g. real RRAM data: every level's μ_ν at its bound 0. The points' block of mu_nu.dat is then
  // empty, and gnuplot refuses a plot of an empty block: the whole figure was missing.
  CalibrationResult r = result();
  for (LevelFit& l : r.levels) l.mu_nu.identified = false;
  TempDir tmp;
  const fs::path dir = tmp.path() / "report";
  const ReportFiles files = write_calibration_report(r, dir);
  const auto text = [](const fs::path& f) {
    std::ifstream in(f);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string mu = text(dir / "mu_nu.gp"), sigma = text(dir / "sigma_nu.gp");
  CHECK(mu.find("index 0") == std::string::npos);
  CHECK(mu.find("no level identified this quantity") != std::string::npos);
  CHECK(sigma.find("index 0") != std::string::npos);
  if (files.figures_skipped.empty()) CHECK(fs::is_regular_file(dir / "mu_nu.png"));
}

TEST_CASE("without gnuplot: the data and scripts are written, figures_skipped says why") {
  TempDir tmp;
  const fs::path empty_bin = tmp.path() / "empty_bin";
  fs::create_directories(empty_bin);
  const fs::path dir = tmp.path() / "report";
  ReportFiles files;
  {
    const ScopedPath no_gnuplot(empty_bin.string());
    files = write_calibration_report(result(), dir);
  }
  CHECK_FALSE(files.figures_skipped.empty());
  CHECK(files.figures.empty());
  CHECK(fs::is_regular_file(dir / "report.md"));
  for (const char* name : kFigures) {
    CAPTURE(name);
    CHECK(fs::is_regular_file(dir / (std::string(name) + ".gp")));
    CHECK_FALSE(fs::exists(dir / (std::string(name) + ".png")));
  }
  CHECK(temporaries_in(dir).empty());
}

TEST_CASE("figures of an earlier report are removed when this one cannot draw them") {
  TempDir tmp;
  const fs::path empty_bin = tmp.path() / "empty_bin";
  fs::create_directories(empty_bin);
  const fs::path dir = tmp.path() / "report";
  fs::create_directories(dir);
  for (const char* name : kFigures) std::ofstream(dir / (std::string(name) + ".png")) << "old";
  {
    const ScopedPath no_gnuplot(empty_bin.string());
    write_calibration_report(result(), dir);
  }
  for (const char* name : kFigures) {
    CAPTURE(name);
    CHECK_FALSE(fs::exists(dir / (std::string(name) + ".png")));  // no figure of older data
  }
}

TEST_CASE("a report without trace spectra removes an earlier report's spectra files") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "report";
  write_calibration_report(result(), dir);
  REQUIRE(fs::is_regular_file(dir / "spectra.dat"));
  CalibrationResult no_traces = result();
  no_traces.spectrum.available = false;
  const ReportFiles files = write_calibration_report(no_traces, dir);
  for (const char* name : {"spectra.dat", "spectra.gp", "spectra.png"}) {
    CAPTURE(name);
    CHECK_FALSE(fs::exists(dir / name));
  }
  CHECK(std::count(files.figure_names.begin(), files.figure_names.end(), "spectra") == 0);
  CHECK(fs::is_regular_file(dir / "q_s.dat"));  // the rest of the report is there
  // Likewise the adequacy figure of a calibration that did not check adequacy.
  REQUIRE(fs::is_regular_file(dir / "adequacy.dat"));
  CalibrationResult unchecked = result();
  unchecked.adequacy.reset();
  write_calibration_report(unchecked, dir);
  for (const char* name : {"adequacy.dat", "adequacy.gp", "adequacy.png"}) {
    CAPTURE(name);
    CHECK_FALSE(fs::exists(dir / name));
  }
}

TEST_CASE("a file that cannot be written leaves an earlier report as it was") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "report";
  fs::create_directories(dir);
  std::ofstream(dir / "levels.csv") << "earlier";
  fs::create_directories(dir / "report.md");  // the last file of the report cannot be written
  CHECK_THROWS_AS(write_calibration_report(result(), dir), RunError);
  CHECK(lines_of(dir / "levels.csv") == std::vector<std::string>{"earlier"});
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"levels.csv", "report.md"});
}

TEST_CASE("Errors: a directory under a regular file is a RunError, and nothing is written") {
  TempDir tmp;
  const fs::path file = tmp.path() / "plain_file";
  std::ofstream(file) << "not a directory";
  CHECK_THROWS_AS(write_calibration_report(result(), file / "report"), RunError);
  CHECK_THROWS_AS(write_calibration_report(result(), file), RunError);
  // The directory holds only the plain file.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(tmp.path())) ++entries;
  CHECK(entries == 1);
}

}  // namespace
}  // namespace pcmkit::calibration
