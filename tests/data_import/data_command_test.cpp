// `pcmkit data import-cifar10` through the real binary: a converted batch on success; exit 2, one
// stderr line naming the file and no output directory on bad input.
#include <doctest/doctest.h>
#include <png.h>

#include <string>
#include <vector>

#include "cli/cli_process.h"

namespace pcmkit::cli_test {
namespace {

TEST_CASE("pcmkit data import-cifar10: a missing package is exit 2, one line, nothing written") {
  ScratchDir scratch;
  const Outcome r =
      run_pcmkit({"data", "import-cifar10", "nothing", "-o", "cache"}, scratch.path());
  CHECK(r.exit_code == 2);
  check_one_error_line(r.err);
  CHECK(contains(r.err, "pcmkit data: error: nothing: not a directory"));
  CHECK(scratch.entries().empty());
}

TEST_CASE("pcmkit data import-cifar10: a bad PNG names the file and no cache directory is left") {
  ScratchDir scratch;
  fs::create_directory(scratch / "package");
  std::ofstream(scratch / "package" / "test_batch.png") << "not a png";
  for (int k = 1; k <= 5; ++k)
    std::ofstream(scratch / "package" / ("data_batch_" + std::to_string(k) + ".png")) << "x";
  std::string test = "[", train = "[";
  for (int i = 0; i < 10000; ++i) test += (i ? ",1" : "1");
  for (int i = 0; i < 50000; ++i) train += (i ? ",2" : "2");
  std::ofstream(scratch / "package" / "test_lables.json") << test << "]";
  std::ofstream(scratch / "package" / "train_lables.json") << train << "]";
  const Outcome r =
      run_pcmkit({"data", "import-cifar10", "package", "-o", "cache"}, scratch.path());
  CHECK(r.exit_code == 2);
  check_one_error_line(r.err);
  CHECK(contains(r.err, "package/test_batch.png: not a PNG file"));
  CHECK(!fs::exists(scratch / "cache"));
  CHECK(r.out.empty());
}

TEST_CASE("pcmkit data import-cifar10: -o is required (exit 2)") {
  ScratchDir scratch;
  const Outcome r = run_pcmkit({"data", "import-cifar10", "package"}, scratch.path());
  CHECK(r.exit_code == 2);
  check_one_error_line(r.err);
}

}  // namespace
}  // namespace pcmkit::cli_test
