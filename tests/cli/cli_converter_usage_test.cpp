// The real-data converters' command lines (tools/convert/): `--help` prints usage and exits 0; a
// bad option or a missing input is one stderr line naming it, exit 2, and no campaign written.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cli_process.h"

namespace pcmkit::cli_test {
namespace {

struct Converter {
  std::string name, path;
};

const std::vector<Converter> kConverters = {
    {"rram_relaxation_to_campaign", PCMKIT_RRAM_CONVERTER},
    {"rram_traces_to_campaign", PCMKIT_RRAM_TRACES_CONVERTER},
};

TEST_CASE("the RRAM converters print their usage for --help and exit 0") {
  for (const Converter& c : kConverters) {
    CAPTURE(c.name);
    ScratchDir scratch;
    const Outcome r = run_program(c.path, {"--help"}, scratch.path());
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "Usage: " + c.name));
    CHECK(contains(r.out, "--g-max-uS"));
    CHECK(r.err.empty());
  }
}

TEST_CASE("the RRAM converters refuse a bad option or a missing input in one line, exit 2") {
  struct Case {
    std::vector<std::string> args;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {{"data.tsv.gz", "-o", "out.h5", "--g-max-uS", "-1"}, "--g-max-uS"},
      {{"data.tsv.gz", "-o", "out.h5", "--g-max-uS", "128x"}, "--g-max-uS"},  // atof read 128
      {{"data.tsv.gz"}, "--output"},
      {{"missing.tsv.gz", "-o", "out.h5"}, "missing.tsv.gz"},
  };
  for (const Converter& c : kConverters)
    for (const Case& k : cases) {
      CAPTURE(c.name);
      CAPTURE(k.mentions);
      ScratchDir scratch;
      const Outcome r = run_program(c.path, k.args, scratch.path());
      INFO("stderr: ", r.err);
      CHECK(r.exit_code == 2);
      CHECK(count_lines(r.err) == 1);
      CHECK(contains(r.err, k.mentions));
      CHECK(scratch.entries().empty());
    }
  ScratchDir scratch;
  const Outcome r = run_program(kConverters[1].path,
                                {"data.tsv.gz", "-o", "out.h5", "--segments", "0"}, scratch.path());
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "--segments"));
}

}  // namespace
}  // namespace pcmkit::cli_test
