// pcmkit runs end to end through the real binary: synth → calibrate → model show, an output that
// cannot be written (exit 1), results that do not depend on --threads, and progress lines (a
// few per second on a terminal, one per 30 s on a pipe, none with --quiet).
#include <doctest/doctest.h>

#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "cli_process.h"
#include "pcmkit/measurement/campaign_hdf5.h"

namespace pcmkit::cli_test {
namespace {

// A small campaign: 11 levels × 300 devices × 20 reads and 11 × 20 noise traces of 256 reads;
// synth takes ~0.05 s and calibrate ~0.5 s.
std::vector<std::string> synth_args(const std::string& output,
                                    const std::string& threads = "0",
                                    const std::string& seed = "3") {
  return {
      "synth", "--devices-per-level", "300",   "--traces", "20",  "--trace-reads", "256", "--seed",
      seed,    "--threads",           threads, "-o",       output};
}

Outcome synth(const ScratchDir& scratch,
              const std::string& output,
              const std::string& threads = "0",
              const std::string& seed = "3") {
  const Outcome r = run_pcmkit(synth_args(output, threads, seed), scratch.path());
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(fs::is_regular_file(scratch / output));
  return r;
}

// The coefficient names of the model JSON (device/pcm_model.h).
const std::vector<std::string> kCoefficients = {
    "programming_noise.c0_uS",  "programming_noise.c1_uS",  "programming_noise.c2_uS",
    "drift_exponent.a0",        "drift_exponent.a1",        "drift_exponent.mu_min",
    "drift_exponent.mu_max",    "drift_exponent.b0",        "drift_exponent.b1",
    "drift_exponent.sigma_min", "drift_exponent.sigma_max", "read_noise.q0",
    "read_noise.alpha",         "read_noise.q_max",         "read_noise.gamma"};

// Entries whose names say they are temporary files (".out.json.tmp<pid>").
std::vector<std::string> temporary_entries(const ScratchDir& scratch) {
  std::vector<std::string> found;
  for (const std::string& name : scratch.entries())
    if (contains(name, ".tmp") || fs::path(name).filename().string().rfind('.', 0) == 0)
      found.push_back(name);
  return found;
}

// stderr of a run with stderr on a pipe: nothing but "pcmkit <command>: " progress lines, and
// only a few (one per 30 s; these runs take seconds, a few more on a loaded machine).
bool at_most_slow_progress(const std::string& err, const std::string& command) {
  std::istringstream lines(err);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count)
    if (line.rfind("pcmkit " + command + ": ", 0) != 0) return false;
  return count <= 2;
}

TEST_CASE("synth, calibrate and model show: the happy path") {
  ScratchDir scratch;
  const Outcome s = synth(scratch, "c.h5");
  CHECK(contains(s.out, "wrote c.h5"));
  CHECK(at_most_slow_progress(s.err, "synth"));  // stderr is a pipe: a line per 30 s at most

  const Outcome c = run_pcmkit({"calibrate", "c.h5", "-o", "m.json", "--report", "rep", "--quiet"},
                               scratch.path());
  INFO("stderr: ", c.err);
  CHECK(c.exit_code == 0);
  CHECK(c.err.empty());
  CHECK(contains(c.out, "Coefficients"));
  for (const std::string& name : kCoefficients) {
    INFO(name);
    CHECK(contains(c.out, name));
  }
  CHECK(contains(c.out, "wrote m.json"));
  CHECK(fs::file_size(scratch / "m.json") > 0);
  for (const char* name : {"rep/report.md", "rep/levels.csv"}) {
    INFO(name);
    REQUIRE(fs::is_regular_file(scratch / name));
    CHECK(fs::file_size(scratch / name) > 0);
  }
  // One header line and one line per level (11 levels from 0 to G_max by default).
  CHECK(count_lines(read_text(scratch / "rep/levels.csv")) == 12);
  INFO("temporary files: ", joined(temporary_entries(scratch)));
  CHECK(temporary_entries(scratch).empty());

  const Outcome m = run_pcmkit({"model", "show", "m.json"}, scratch.path());
  CHECK(m.exit_code == 0);
  CHECK(m.err.empty());
  for (const std::string& name : kCoefficients) {
    INFO(name);
    CHECK(contains(m.out, name));
  }

  // The model written by calibrate drives synth again.
  const Outcome again = run_pcmkit(
      {"synth", "--model", "m.json", "--devices-per-level", "10", "--traces", "0", "-o", "d.h5"},
      scratch.path());
  CHECK(again.exit_code == 0);
  CHECK(fs::is_regular_file(scratch / "d.h5"));

  const Outcome p = run_pcmkit({"model", "published", "-o", "p.json"}, scratch.path());
  CHECK(p.exit_code == 0);
  CHECK(run_pcmkit({"model", "show", "p.json"}, scratch.path()).exit_code == 0);
}

TEST_CASE("an output that cannot be written exits 1 with one line and writes nothing") {
  ScratchDir scratch;
  synth(scratch, "c.h5");
  REQUIRE(!fs::exists("/nonexistent_dir"));
  const std::vector<std::vector<std::string>> cases = {
      {"calibrate", "c.h5", "-o", "/nonexistent_dir/m.json", "--report", "rep"},
      {"calibrate", "c.h5", "-o", "no_such_dir/m.json", "--report", "rep"},
      {"synth", "--devices-per-level", "10", "--traces", "0", "-o", "no_such_dir/d.h5"},
      {"model", "published", "-o", "no_such_dir/p.json"},
  };
  for (const std::vector<std::string>& args : cases) {
    INFO(command_line(args));
    const Outcome r = run_pcmkit(args, scratch.path());
    CHECK(r.exit_code == 1);
    check_one_error_line(r.err);  // progress lines would break this: stderr is not a terminal
    CHECK(contains(r.err, "dir"));
    INFO("scratch directory: ", joined(scratch.entries()));
    CHECK(scratch.entries() == std::vector<std::string>{"c.h5"});
  }
}

// Number of elements that differ in shape or bits (NaN equals NaN; -0 differs from 0).
template <typename A, typename B>
long count_differences(const A& a, const B& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return std::numeric_limits<long>::max();
  long differences = 0;
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < a.cols(); ++j)
      if (std::memcmp(&a(i, j), &b(i, j), sizeof(a(i, j))) != 0) ++differences;
  return differences;
}

void check_same_campaign(const measurement::Campaign& a, const measurement::Campaign& b) {
  CHECK(a.g_max_uS == b.g_max_uS);
  CHECK(a.t_read_s == b.t_read_s);
  CHECK(a.temperature_K == b.temperature_K);
  CHECK(a.description == b.description);
  CHECK(count_differences(a.g_target_uS, b.g_target_uS) == 0);
  CHECK(a.converged == b.converged);
  CHECK(count_differences(a.time_s, b.time_s) == 0);
  CHECK(count_differences(a.g_uS, b.g_uS) == 0);
  REQUIRE(a.noise.has_value() == b.noise.has_value());
  if (!a.noise) return;
  CHECK(count_differences(a.noise->device_index, b.noise->device_index) == 0);
  CHECK(count_differences(a.noise->t_start_s, b.noise->t_start_s) == 0);
  CHECK(a.noise->dt_s == b.noise->dt_s);
  CHECK(count_differences(a.noise->g_uS, b.noise->g_uS) == 0);
}

// stdout without the "wrote FILE" lines, which name the output.
std::string without_wrote_lines(const std::string& text) {
  std::istringstream in(text);
  std::string line, kept;
  while (std::getline(in, line))
    if (line.rfind("wrote ", 0) != 0) kept += line + "\n";
  return kept;
}

// The model JSON without its "input_file" line, which names the campaign.
std::string without_input_file(const std::string& json) {
  std::istringstream in(json);
  std::string line, kept;
  while (std::getline(in, line))
    if (!contains(line, "\"input_file\"")) kept += line + "\n";
  return kept;
}

TEST_CASE("synth and calibrate give the same results with 1 and 2 threads") {
  ScratchDir scratch;
  synth(scratch, "a.h5", "1");
  synth(scratch, "b.h5", "2");
  const measurement::Campaign a = measurement::read_campaign(scratch / "a.h5");
  const measurement::Campaign b = measurement::read_campaign(scratch / "b.h5");
  CHECK(a.num_devices() == 11 * 300);
  CHECK(a.num_times() == 20);
  REQUIRE(a.noise.has_value());
  CHECK(a.noise->g_uS.rows() == 11 * 20);
  CHECK(a.noise->g_uS.cols() == 256);
  check_same_campaign(a, b);

  // Not vacuous: another seed gives other reads.
  synth(scratch, "other_seed.h5", "2", "4");
  const measurement::Campaign other = measurement::read_campaign(scratch / "other_seed.h5");
  CHECK(count_differences(a.g_uS, other.g_uS) > a.g_uS.size() / 2);
  // The whole seed range is usable: 2^64-1 is a seed of its own (and "-1" is refused, not wrapped
  // to it: cli_usage_test).
  synth(scratch, "max_seed.h5", "2", "18446744073709551615");
  const measurement::Campaign max_seed = measurement::read_campaign(scratch / "max_seed.h5");
  CHECK(count_differences(a.g_uS, max_seed.g_uS) > a.g_uS.size() / 2);

  const Outcome ma =
      run_pcmkit({"calibrate", "a.h5", "-o", "ma.json", "--threads", "1"}, scratch.path());
  const Outcome mb =
      run_pcmkit({"calibrate", "a.h5", "-o", "mb.json", "--threads", "2"}, scratch.path());
  const Outcome mc =
      run_pcmkit({"calibrate", "b.h5", "-o", "mc.json", "--threads", "2"}, scratch.path());
  REQUIRE(ma.exit_code == 0);
  REQUIRE(mb.exit_code == 0);
  REQUIRE(mc.exit_code == 0);
  const std::string json_a = read_text(scratch / "ma.json");
  CHECK(contains(json_a, "\"input_file\": \"a.h5\""));
  // Same input name: byte-identical.
  CHECK(json_a == read_text(scratch / "mb.json"));
  // Same bytes under another name: identical but for the line naming it.
  CHECK(without_input_file(json_a) == without_input_file(read_text(scratch / "mc.json")));
  CHECK(without_wrote_lines(ma.out) == without_wrote_lines(mb.out));
  CHECK(without_wrote_lines(ma.out) == without_wrote_lines(mc.out));
}

TEST_CASE(
    "progress: on a terminal per stage, on a pipe a line per 30 s at most, never with --quiet") {
  ScratchDir scratch;
  std::vector<std::string> args = synth_args("t.h5");
  const Outcome piped = run_pcmkit(args, scratch.path(), StderrTo::kPipe);
  CHECK(piped.exit_code == 0);
  CHECK(at_most_slow_progress(piped.err, "synth"));

  const Outcome terminal = run_pcmkit(args, scratch.path(), StderrTo::kTerminal);
  CHECK(terminal.exit_code == 0);
  CHECK(contains(terminal.err, "pcmkit synth: programming"));

  args.push_back("--quiet");
  const Outcome quiet = run_pcmkit(args, scratch.path(), StderrTo::kTerminal);
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.err.empty());
}

}  // namespace
}  // namespace pcmkit::cli_test

namespace pcmkit::cli_test {
namespace {

TEST_CASE("calibrate counts reads below 0 as 0 and says so, and --strict refuses them") {
  ScratchDir scratch;
  synth(scratch, "c.h5");
  measurement::Campaign c = measurement::read_campaign(scratch / "c.h5");
  int placed = 0;
  for (Eigen::Index i = 0; i < c.num_devices() && placed < 5; ++i)
    if (c.g_target_uS(i) == 0 && c.g_uS(i, 3) == 0) c.g_uS(i, 3) = -0.12 + 0.01 * placed++;
  REQUIRE(placed == 5);
  measurement::write_campaign(c, scratch / "offset.h5");

  const Outcome r =
      run_pcmkit({"calibrate", "offset.h5", "-o", "m.json", "--quiet"}, scratch.path());
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "note: 5 read(s) below 0 uS (lowest -0.12 uS) counted as 0"));
  const std::string model = read_text(scratch / "m.json");
  CHECK(contains(model, "\"num_negative_reads\": 5"));

  const Outcome strict = run_pcmkit(
      {"calibrate", "offset.h5", "-o", "s.json", "--report", "rep", "--strict"}, scratch.path());
  CHECK(strict.exit_code == 2);
  check_one_error_line(strict.err);
  CHECK(contains(strict.err, "offset.h5"));
  CHECK(contains(strict.err, "/reads/g_uS"));
  CHECK_FALSE(fs::exists(scratch / "s.json"));
  CHECK_FALSE(fs::exists(scratch / "rep"));
}

}  // namespace
}  // namespace pcmkit::cli_test
