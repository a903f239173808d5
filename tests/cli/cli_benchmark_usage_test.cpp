// The benchmark programs' command lines (benchmarks/benchmark_command_line.h): `--help` prints
// usage and exits 0; a bad argument or a missing input file is one stderr line naming it, exit 2,
// before any work and with nothing written. Run through the real binaries, when they are built.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cli_process.h"

#ifdef PCMKIT_BENCHMARK_DIR
namespace pcmkit::cli_test {
namespace {

struct BadCall {
  std::string program;
  std::vector<std::string> args;
  std::string mentions;  // what the error line must name
};

// One argument out of range per program, each the first that program checks.
const std::vector<BadCall> kBadArguments = {
    {"adequacy_power", {"0"}, "seeds"},
    {"adequacy_power", {"1", "200", "rising,sideways"}, "sideways"},
    {"calibrate_benchmark", {"0"}, "num_devices"},
    {"calibration_coverage", {"1", "200,x"}, "sizes"},
    {"calibration_coverage", {"1", "200", "0", "0", "C"}, "models"},
    {"conv3x3_benchmark", {"0"}, "repeats"},
    {"forward_benchmark", {"w.h5", "cifar", "0"}, "threads"},
    {"forward_benchmark", {"w.h5", "cifar", "2", "3"}, "torch"},
    {"image_loading_benchmark", {"images", "0"}, "threads"},
    {"periphery_benchmark", {"w.h5", "cifar", "0"}, "images"},
    {"sweep_scaling", {"pcmkit", "0"}, "images"},
    {"train_benchmark", {"0"}, "steps"},
    {"train_benchmark", {"1", "2", "1"}, "batch"},
    {"train_benchmark", {"1", "2", "8", "0", "1", "extra"}, "extra"},
};

fs::path benchmark(const std::string& name) { return fs::path(PCMKIT_BENCHMARK_DIR) / name; }

void check_one_benchmark_error_line(const std::string& program, const std::string& err) {
  INFO("stderr: ", err);
  CHECK(count_lines(err) == 1);
  CHECK(err.rfind(program + ": error: ", 0) == 0);
}

TEST_CASE("every benchmark program prints its usage for --help and exits 0") {
  for (const char* program : {"adequacy_power", "calibrate_benchmark", "calibration_coverage",
                              "conv3x3_benchmark", "forward_benchmark", "image_loading_benchmark",
                              "periphery_benchmark", "sweep_scaling", "train_benchmark"}) {
    CAPTURE(program);
    ScratchDir scratch;
    const Outcome r = run_program(benchmark(program).string(), {"--help"}, scratch.path());
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, std::string("Usage: ") + program));
    CHECK(r.err.empty());
    CHECK(scratch.entries().empty());
  }
}

TEST_CASE("a benchmark argument out of range is one error line naming it and exit 2") {
  for (const BadCall& c : kBadArguments) {
    CAPTURE(c.program);
    CAPTURE(c.mentions);
    ScratchDir scratch;
    const Outcome r = run_program(benchmark(c.program).string(), c.args, scratch.path());
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    check_one_benchmark_error_line(c.program, r.err);
    CHECK(contains(r.err, c.mentions));
    CHECK(scratch.entries().empty());
  }
}

TEST_CASE("the smallest arguments in range run: train_benchmark 1 1 2 0 1") {
  ScratchDir scratch;
  const Outcome r =
      run_program(benchmark("train_benchmark").string(), {"1", "1", "2", "0", "1"}, scratch.path());
  INFO("stderr: ", r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "pcmkit:"));
  CHECK(contains(r.out, "PyTorch: skipped (torch=0)"));
}

TEST_CASE("a benchmark's missing or damaged input is one error line naming the file and exit 2") {
  // periphery_benchmark and image_loading_benchmark once ended in std::terminate here, the latter
  // also on a JPEG it could not decode (an exception out of its parallel loop).
  const std::vector<BadCall> cases = {
      {"forward_benchmark", {"missing.h5"}, "missing.h5"},
      {"periphery_benchmark", {"missing.h5"}, "missing.h5"},
      {"image_loading_benchmark", {"missing_folder"}, "missing_folder"},
      {"image_loading_benchmark", {"images"}, "broken.jpg"},
  };
  for (const BadCall& c : cases) {
    CAPTURE(c.program);
    ScratchDir scratch;
    fs::create_directories(scratch / "images/class_a");
    std::ofstream(scratch / "images/class_a/broken.jpg") << "not a JPEG";
    const std::vector<std::string> before = scratch.entries();
    const Outcome r = run_program(benchmark(c.program).string(), c.args, scratch.path());
    CHECK(r.exit_code == 2);
    CHECK(r.signal == 0);
    check_one_benchmark_error_line(c.program, r.err);
    CHECK(contains(r.err, c.mentions));
    CHECK(scratch.entries() == before);
  }
}

}  // namespace
}  // namespace pcmkit::cli_test
#endif
