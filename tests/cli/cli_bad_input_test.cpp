// Bad input files through the real binary: every campaign in tests/data/bad/ and every model in
// tests/data/bad_models/ must give exit 2, one stderr line naming the file and the field from
// the manifest, and leave no output (nor temporary) file behind.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "cli_process.h"

namespace pcmkit::cli_test {
namespace {

const fs::path kBadCampaigns = kDataDir / "bad";
const fs::path kBadModels = kDataDir / "bad_models";

// The checks every bad input file gets; `field` and `problem` may be empty.
void check_rejected(const std::vector<std::string>& args,
                    const fs::path& file,
                    const std::string& field,
                    const std::string& problem) {
  INFO(command_line(args));
  ScratchDir scratch;
  const Outcome r = run_pcmkit(args, scratch.path());
  CHECK(r.exit_code == 2);
  check_one_error_line(r.err);
  INFO("stderr: ", r.err);
  CHECK(contains(r.err, file.filename().string()));
  CHECK(contains(r.err, field));
  CHECK(contains(r.err, problem));
  // Nothing at all: no output, no ".out.json.tmp<pid>", no report directory or its contents.
  INFO("left in the scratch directory: ", joined(scratch.entries()));
  CHECK(scratch.entries().empty());
}

TEST_CASE("the bad-campaign manifest lists every file in tests/data/bad") {
  const std::vector<ManifestRow> rows = read_manifest(kBadCampaigns / "manifest.tsv");
  REQUIRE(!rows.empty());
  std::set<std::string> listed;
  for (const ManifestRow& row : rows) {
    INFO(row.file);
    CHECK(fs::is_regular_file(kBadCampaigns / row.file));
    listed.insert(row.file);
  }
  for (const fs::directory_entry& e : fs::directory_iterator(kBadCampaigns)) {
    if (e.path().extension() != ".h5") continue;
    INFO(e.path().filename().string(), " is not in manifest.tsv");
    CHECK(listed.count(e.path().filename().string()) == 1);
  }
}

TEST_CASE("calibrate rejects every bad campaign with exit 2, one line and no output") {
  const std::vector<ManifestRow> rows = read_manifest(kBadCampaigns / "manifest.tsv");
  REQUIRE(!rows.empty());
  for (const ManifestRow& row : rows) {
    const fs::path file = kBadCampaigns / row.file;
    check_rejected({"calibrate", file.string(), "-o", "out.json", "--report", "rep"}, file,
                   row.field, row.problem);
  }
}

TEST_CASE("calibrate rejects a missing campaign file with exit 2") {
  check_rejected({"calibrate", "missing.h5", "-o", "out.json", "--report", "rep"}, "missing.h5", "",
                 "");
  const fs::path elsewhere = kDataDir / "no_such_campaign.h5";
  check_rejected({"calibrate", elsewhere.string(), "-o", "out.json", "--report", "rep"}, elsewhere,
                 "", "");
}

TEST_CASE("model show, synth --model and calibrate --prior reject every bad model") {
  const fs::path manifest = kBadModels / "manifest.tsv";
  if (!fs::is_regular_file(manifest)) {
    MESSAGE("skipped: ", manifest.string(), " does not exist (yet)");
    return;
  }
  const std::vector<ManifestRow> rows = read_manifest(manifest);
  REQUIRE(!rows.empty());
  const std::string good_campaign = (kDataDir / "other_program_campaign.h5").string();
  for (const ManifestRow& row : rows) {
    const fs::path file = kBadModels / row.file;
    INFO(row.file);
    REQUIRE(fs::is_regular_file(file));
    check_rejected({"model", "show", file.string()}, file, row.field, row.problem);
    check_rejected({"synth", "--model", file.string(), "-o", "c.h5"}, file, row.field, row.problem);
    check_rejected(
        {"calibrate", good_campaign, "--prior", file.string(), "-o", "m.json", "--report", "rep"},
        file, row.field, row.problem);
  }
}

TEST_CASE("model show and synth --model reject a missing model file with exit 2") {
  check_rejected({"model", "show", "missing.json"}, "missing.json", "", "");
  check_rejected({"synth", "--model", "missing.json", "-o", "c.h5"}, "missing.json", "", "");
}

TEST_CASE("a campaign too small to fit fails with exit 1, one line naming the file, no output") {
  ScratchDir scratch;
  REQUIRE(run_pcmkit({"synth", "-o", "c.h5", "--levels", "lin:0:25:3", "--devices-per-level", "3",
                      "--times", "25,100,1000", "--traces", "0", "--quiet"},
                     scratch.path())
              .exit_code == 0);
  const Outcome r = run_pcmkit({"calibrate", "c.h5", "-o", "m.json", "--quiet"}, scratch.path());
  CHECK(r.exit_code == 1);
  check_one_error_line(r.err);
  CHECK(contains(r.err, "c.h5: no level could be fitted"));
  CHECK(!fs::exists(scratch / "m.json"));
}

TEST_CASE("a model that is not a regular file (an endless device) is refused, not read") {
  check_rejected({"model", "show", "/dev/zero"}, "/dev/zero", "", "not a regular file");
}

}  // namespace
}  // namespace pcmkit::cli_test
