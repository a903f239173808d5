// pcmkit's command line: help and version (exit 0, stdout), and bad command lines (exit 2, one
// stderr line, no output file), run through the real binary.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cli_process.h"
#include "pcmkit/core/version.h"

namespace pcmkit::cli_test {
namespace {

// A valid campaign written by another program, so that option errors are not input-file errors.
const std::string kGoodCampaign = (kDataDir / "other_program_campaign.h5").string();

TEST_CASE("help exits 0 and prints usage on stdout") {
  struct Case {
    std::vector<std::string> args;
    std::string mentions;  // an option or subcommand the help must list
  };
  const std::vector<Case> cases = {
      {{"--help"}, "synth"},
      {{"synth", "--help"}, "--devices-per-level"},
      {{"calibrate", "--help"}, "--report"},
      {{"model", "--help"}, "show"},
      {{"model", "show", "--help"}, "file"},
      {{"model", "published", "--help"}, "--output"},
  };
  ScratchDir scratch;
  for (const Case& c : cases) {
    INFO(command_line(c.args));
    const Outcome r = run_pcmkit(c.args, scratch.path());
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "Usage:"));
    CHECK(contains(r.out, c.mentions));
    CHECK(r.err.empty());
  }
  CHECK(scratch.entries().empty());
}

TEST_CASE("evaluate --help names every architecture evaluate runs") {
  // resnet32-pcm, the network pcmkit trains, was once missing from the list.
  ScratchDir scratch;
  const Outcome r = run_pcmkit({"evaluate", "--help"}, scratch.path());
  REQUIRE(r.exit_code == 0);
  for (const char* arch :
       {"resnet20", "resnet32", "resnet44", "resnet56", "resnet32-pcm", "resnet18", "resnet34"}) {
    CAPTURE(arch);
    CHECK(contains(r.out, arch));
  }
}

TEST_CASE("--version exits 0 and prints 'pcmkit <version>'") {
  ScratchDir scratch;
  const Outcome r = run_pcmkit({"--version"}, scratch.path());
  CHECK(r.exit_code == 0);
  CHECK(r.out == std::string("pcmkit ") + kVersion + "\n");
  CHECK(r.err.empty());
}

TEST_CASE("a bad command line exits 2 with one error line and writes nothing") {
  struct Case {
    std::vector<std::string> args;
    std::string mentions;  // what the error line must name ("" = only the generic checks)
  };
  const std::string g = kGoodCampaign;
  const std::vector<Case> cases = {
      // CLI11 parse errors.
      {{}, ""},
      {{"frobnicate"}, ""},
      {{"--frobnicate"}, ""},
      {{"synth", "--frobnicate", "-o", "c.h5"}, "--frobnicate"},
      {{"calibrate", g, "-o", "m.json", "--frobnicate"}, "--frobnicate"},
      {{"synth"}, "--output"},
      {{"synth", "-o"}, "--output"},
      {{"calibrate", "-o", "m.json"}, "campaign"},
      {{"calibrate", g}, "--output"},
      {{"model"}, ""},
      {{"model", "show"}, "file"},
      {{"model", "published"}, "--output"},
      {{"synth", "--devices-per-level", "abc", "-o", "c.h5"}, "--devices-per-level"},
      {{"synth", "--seed", "x", "-o", "c.h5"}, "--seed"},
      {{"synth", "--seed", "-1", "-o", "c.h5"}, "--seed"},  // not wrapped to 2^64-1
      {{"synth", "--seed", "18446744073709551616", "-o", "c.h5"}, "--seed"},  // 2^64
      {{"synth", "--seed", "1e3", "-o", "c.h5"}, "--seed"},
      {{"train", "--seed", "", "--data", "d", "-o", "run"}, "--seed"},
      {{"calibrate", g, "-o", "m.json", "--threads", "two"}, "--threads"},
      // Values that parse but are not valid.
      {{"synth", "--times", "25,,1h", "-o", "c.h5"}, "--times"},
      {{"synth", "--times", "10", "-o", "c.h5"}, "--times"},  // before t0 = 20 s
      {{"synth", "--times", "log:25:1d:0", "-o", "c.h5"}, "--times"},
      {{"synth", "--times", "nan", "-o", "c.h5"}, "--times"},
      {{"synth", "--levels", "30", "-o", "c.h5"}, "--levels"},  // above G_max = 25 uS
      {{"synth", "--levels", "1,x", "-o", "c.h5"}, "--levels"},
      {{"synth", "--devices-per-level", "0", "-o", "c.h5"}, "--devices-per-level"},
      {{"synth", "--trace-reads", "1", "-o", "c.h5"}, "--trace-reads"},
      {{"synth", "--trace-dt", "0", "-o", "c.h5"}, "--trace-dt"},
      {{"synth", "--non-converged", "2", "-o", "c.h5"}, "--non-converged"},
      {{"calibrate", g, "-o", "m.json", "--report", "rep", "--t0", "abc"}, "--t0"},
      {{"calibrate", g, "-o", "m.json", "--report", "rep", "--t0", "20x"}, "--t0"},
      {{"calibrate", g, "-o", "m.json", "--report", "rep", "--t0", "0"}, "--t0"},
      {{"calibrate", g, "-o", "m.json", "--report", "rep", "--t0", "-5"}, "--t0"},
      // A t0 after the first read is a property of the file: named by file and dataset.
      {{"calibrate", g, "-o", "m.json", "--report", "rep", "--t0", "1y"}, "/reads/time_s"},
  };
  for (const Case& c : cases) {
    INFO(command_line(c.args));
    ScratchDir scratch;
    const Outcome r = run_pcmkit(c.args, scratch.path());
    CHECK(r.exit_code == 2);
    check_one_error_line(r.err);
    CHECK(contains(r.err, c.mentions));
    CHECK(r.out.empty());
    INFO("left in the scratch directory: ", joined(scratch.entries()));
    CHECK(scratch.entries().empty());
  }
}

}  // namespace
}  // namespace pcmkit::cli_test
