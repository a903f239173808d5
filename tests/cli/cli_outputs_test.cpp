// Where outputs go, through the real binary: an output that names an input is refused before any
// work; a link is followed (its target replaced, the link kept); a directory is refused; a FIFO is
// written to, never replaced by a regular file; figures survive directory names a shell would
// interpret; the thread count is range-checked.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <string>

#include "cli_process.h"
#include "test_support/synthetic_cifar.h"

namespace pcmkit::cli_test {
namespace {

const std::string kCampaign = (kDataDir / "other_program_campaign.h5").string();

TEST_CASE("calibrate refuses an output that is its input, and keeps the input") {
  ScratchDir scratch;
  fs::copy_file(kCampaign, scratch / "c.h5");
  const std::string before = read_text(scratch / "c.h5");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"calibrate", "c.h5", "-o", "c.h5"},
        std::vector<std::string>{"calibrate", "c.h5", "-o", "./sub/../c.h5"},
        std::vector<std::string>{"calibrate", "c.h5", "-o", "m.json", "--report", "m.json"}}) {
    INFO(command_line(args));
    fs::create_directories(scratch / "sub");
    const Outcome r = run_pcmkit(args, scratch.path());
    CHECK(r.exit_code == 2);
    check_one_error_line(r.err);
    CHECK(contains(r.err, "names the same file as"));
    CHECK(read_text(scratch / "c.h5") == before);
    CHECK(!fs::exists(scratch / "m.json"));
  }
}

TEST_CASE("synth refuses -o equal to its --model") {
  ScratchDir scratch;
  REQUIRE(run_pcmkit({"model", "published", "-o", "m.json"}, scratch.path()).exit_code == 0);
  const std::string before = read_text(scratch / "m.json");
  const Outcome r = run_pcmkit({"synth", "--model", "m.json", "-o", "m.json"}, scratch.path());
  CHECK(r.exit_code == 2);
  check_one_error_line(r.err);
  CHECK(contains(r.err, "--model"));
  CHECK(read_text(scratch / "m.json") == before);
}

TEST_CASE("an output through a link replaces the link's target and keeps the link") {
  ScratchDir scratch;
  fs::create_directories(scratch / "real");
  { std::ofstream(scratch / "real/m.json") << "old"; }
  fs::create_symlink("real/m.json", scratch / "link.json");
  const Outcome r = run_pcmkit({"model", "published", "-o", "link.json"}, scratch.path());
  CHECK(r.exit_code == 0);
  CHECK(fs::is_symlink(scratch / "link.json"));
  CHECK(contains(read_text(scratch / "real/m.json"), "pcmkit.device-model/2"));
}

TEST_CASE("an output that is a directory, or no name at all, fails with one line") {
  ScratchDir scratch;
  fs::create_directories(scratch / "dir");
  for (const std::string& target : {std::string("dir"), std::string("")}) {
    const Outcome r = run_pcmkit({"model", "published", "-o", target}, scratch.path());
    INFO("-o '", target, "': ", r.err);
    CHECK(r.exit_code != 0);
    check_one_error_line(r.err);
    CHECK(!contains(r.err, "Success"));  // an errno message of no error
  }
  CHECK(fs::is_directory(scratch / "dir"));
  CHECK(fs::is_empty(scratch / "dir"));
}

TEST_CASE("a FIFO as output is written to, not replaced") {
  ScratchDir scratch;
  const fs::path fifo = scratch / "out.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // The reader must be there while pcmkit writes: opening a FIFO blocks until both ends are open.
  auto text = std::async(std::launch::async, [&] { return read_text(fifo); });
  const Outcome r = run_pcmkit({"model", "published", "-o", "out.fifo"}, scratch.path());
  CHECK(r.exit_code == 0);
  CHECK(contains(text.get(), "pcmkit.device-model/2"));
  struct stat st {};
  REQUIRE(::lstat(fifo.c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
}

TEST_CASE("a report directory whose name a shell would interpret gets its figures, nothing else") {
  ScratchDir scratch;
  const std::string dir = "rep';touch INJECTED;'";
  const Outcome r = run_pcmkit({"calibrate", kCampaign, "-o", "m.json", "--report", dir, "--quiet"},
                               scratch.path());
  INFO("stderr: ", r.err);
  CHECK(r.exit_code == 0);
  CHECK(!fs::exists(scratch / "INJECTED"));
  CHECK(!fs::exists(scratch / dir / "INJECTED"));
  CHECK(r.err.empty());
  if (fs::exists("/usr/bin/gnuplot")) CHECK(fs::exists(scratch / dir / "q_s.png"));
}

TEST_CASE(
    "calibrate whose report cannot be written leaves the earlier model and report as they were") {
  ScratchDir scratch;
  fs::create_directories(scratch / "rep/q_s.dat");  // one report file cannot be written
  { std::ofstream(scratch / "m.json") << "earlier model"; }
  { std::ofstream(scratch / "rep/levels.csv") << "earlier levels"; }
  const Outcome r =
      run_pcmkit({"calibrate", kCampaign, "-o", "m.json", "--report", "rep"}, scratch.path());
  INFO("stderr: ", r.err);
  CHECK(r.exit_code == 1);
  check_one_error_line(r.err);
  CHECK(contains(r.err, "q_s.dat"));
  CHECK(read_text(scratch / "m.json") == "earlier model");  // not a new model beside an old report
  CHECK(read_text(scratch / "rep/levels.csv") == "earlier levels");
  CHECK(joined(scratch.entries()) == "m.json, rep, rep/levels.csv, rep/q_s.dat");
}

TEST_CASE("--threads outside 0..1024 is a bad command line") {
  for (const std::string& n : {std::string("-3"), std::string("100000")})
    check_rejected({"calibrate", kCampaign, "-o", "m.json", "--threads", n}, "--threads");
}

}  // namespace
}  // namespace pcmkit::cli_test

namespace pcmkit::cli_test {

TEST_CASE("a full disk (/dev/full) is a one-line write failure, for text and HDF5 outputs") {
  ScratchDir scratch;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"model", "published", "-o", "/dev/full"},
        std::vector<std::string>{"synth", "-o", "/dev/full", "--levels", "lin:0:25:3",
                                 "--devices-per-level", "20", "--times", "25,100", "--traces", "0",
                                 "--quiet"}}) {
    INFO(command_line(args));
    const Outcome r = run_pcmkit(args, scratch.path());
    INFO("stderr: ", r.err);
    CHECK(r.exit_code == 1);  // not a crash at exit (HDF5 closing a file it could not write)
    check_one_error_line(r.err);
    CHECK(contains(r.err, "/dev/full"));
    CHECK(contains(r.err, "No space left on device"));
    struct stat st {};
    REQUIRE(::stat("/dev/full", &st) == 0);
    CHECK(S_ISCHR(st.st_mode));  // written to, not replaced
  }
}

}  // namespace pcmkit::cli_test

namespace pcmkit::cli_test {

TEST_CASE("no command writes into an input folder: evaluate, train and data refuse with one line") {
  ScratchDir scratch;
  test::write_synthetic_cifar_dir(scratch / "cifar", 4, 4);
  fs::create_directories(scratch / "cifar/sub");
  const auto entries_before = scratch.entries();
  for (const std::string out : {"cifar", "cifar/sub", "cifar/new"}) {
    const Outcome ev = run_pcmkit({"evaluate", "--device", "ideal", "--arch", "resnet20",
                                   "--weights", "w.h5", "--data", "cifar", "-o", out},
                                  scratch.path());
    INFO("evaluate -o ", out, ": ", ev.err);
    CHECK(ev.exit_code == 2);
    check_one_error_line(ev.err);
    CHECK(contains(ev.err, "--data"));
    const Outcome tr =
        run_pcmkit({"train", "--arch", "resnet20", "--data", "cifar", "--epochs", "1", "-o", out},
                   scratch.path());
    INFO("train -o ", out, ": ", tr.err);
    CHECK(tr.exit_code == 2);
    check_one_error_line(tr.err);
    CHECK(contains(tr.err, "--data"));
    const Outcome im = run_pcmkit({"data", "import-cifar10", "cifar", "-o", out}, scratch.path());
    INFO("data -o ", out, ": ", im.err);
    CHECK(im.exit_code == 2);
    check_one_error_line(im.err);
  }
  CHECK(scratch.entries() == entries_before);
}

}  // namespace pcmkit::cli_test
