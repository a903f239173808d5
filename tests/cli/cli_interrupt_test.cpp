// One run, one output set, under any signal: calibrate --report and evaluate interrupted by
// SIGINT or SIGTERM at moments spread over the whole run (most of them in the output-writing
// window at its end) leave either the earlier run's files or the whole new set, never a mix, and
// no temporary file; they exit 130 or 143 (or 0 when the signal came too late).
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "cli_process.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/weights_hdf5.h"
#include "test_support/synthetic_cifar.h"

namespace pcmkit::cli_test {
namespace {

using Clock = std::chrono::steady_clock;

// Every regular file under `dir` (relative path → content).
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = read_text(e.path());
  return files;
}

std::vector<std::string> leftovers(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.find(".tmp") != std::string::npos || name.rfind(".pcmkit", 0) == 0)
      found.push_back(e.path().string());
  }
  return found;
}

// Runs `args` (writing into `out`, a folder of the scratch) `tries` times, each time from the
// same earlier set, with `signal` sent at a moment from 30% to 105% of an uninterrupted run's
// duration; checks each outcome.
void interrupt_runs(const ScratchDir& scratch,
                    const std::vector<std::string>& args,
                    const std::vector<std::string>& out,
                    int signal,
                    int tries) {
  // The earlier set: an uninterrupted run, each file's content marked.
  const auto start = Clock::now();
  const Outcome first = run_pcmkit(args, scratch.path());
  const double run_s = std::chrono::duration<double>(Clock::now() - start).count();
  INFO("stderr: ", first.err);
  REQUIRE(first.exit_code == 0);
  std::map<std::string, std::string> earlier;
  for (const std::string& o : out) {
    for (const auto& [name, text] : snapshot(scratch / o)) {
      const fs::path p = scratch / o / name;
      std::ofstream(p, std::ios::binary) << "earlier " << name;
      earlier[o + "/" + name] = "earlier " + name;
    }
  }
  int interrupted = 0;
  for (int k = 0; k < tries; ++k) {
    const double at_s = run_s * (0.3 + 0.75 * k / std::max(1, tries - 1));
    const auto begin = Clock::now();
    bool sent = false;
    const Outcome r = run_pcmkit(args, scratch.path(), StderrTo::kPipe, [&](pid_t pid) {
      if (!sent && std::chrono::duration<double>(Clock::now() - begin).count() >= at_s) {
        ::kill(pid, signal);
        sent = true;
      }
    });
    INFO("try ", k, " at ", at_s, " s; exit ", r.exit_code, "; stderr: ", r.err);
    CHECK((r.exit_code == 0 || r.exit_code == 128 + signal));
    interrupted += r.exit_code != 0;
    CHECK(leftovers(scratch.path()).empty());
    // Old or new, file by file; and not both in one set.
    int old_files = 0, new_files = 0;
    std::map<std::string, std::string> now;
    for (const std::string& o : out)
      for (const auto& [name, text] : snapshot(scratch / o)) now[o + "/" + name] = text;
    for (const auto& [name, text] : earlier) {
      const auto found = now.find(name);
      if (found != now.end() && found->second == text)
        ++old_files;
      else
        ++new_files;
    }
    INFO("earlier files kept: ", old_files, ", replaced or removed: ", new_files);
    CHECK((old_files == 0 || new_files == 0));
    if (r.exit_code == 0) CHECK(old_files == 0);
    // Back to the earlier set for the next try.
    for (const auto& [name, text] : now)
      if (!earlier.count(name)) fs::remove(scratch / name);
    for (const auto& [name, text] : earlier)
      std::ofstream(scratch / name, std::ios::binary) << text;
  }
  MESSAGE(interrupted << " of " << tries << " runs interrupted by signal " << signal);
  CHECK(interrupted > 0);
}

}  // namespace

TEST_CASE("calibrate --report interrupted at any moment leaves the earlier or the whole new set") {
  ScratchDir scratch;
  const Outcome synth =
      run_pcmkit({"synth", "-o", "c.h5", "--levels", "lin:0:25:5", "--devices-per-level", "300",
                  "--times", "log:25:1d:8", "--traces", "8", "--trace-reads", "256", "--quiet"},
                 scratch.path());
  REQUIRE(synth.exit_code == 0);
  fs::create_directories(scratch / "m");
  for (const int signal : {SIGINT, SIGTERM})
    interrupt_runs(scratch,
                   {"calibrate", "c.h5", "-o", "m/model.json", "--report", "m/report", "--quiet"},
                   {"m"}, signal, 12);
}

TEST_CASE("evaluate interrupted at any moment leaves the earlier or the whole new set") {
  ScratchDir scratch;
  nn::Network network = nn::make_resnet("resnet20");
  nn::save_weights_hdf5(scratch / "r20.h5", network, {{0.5f, 0.5f, 0.5f}, {0.25f, 0.25f, 0.25f}});
  test::write_synthetic_cifar_dir(scratch / "cifar", 40, 40);
  const std::string model =
      (fs::path(PCMKIT_SOURCE_DIR) / "calibration/pcm_like_nandakumar2019.json").string();
  for (const int signal : {SIGINT, SIGTERM})
    interrupt_runs(scratch, {"evaluate", "--quiet",      "--model",   model,    "--weights",
                             "r20.h5",   "--arch",       "resnet20",  "--data", "cifar",
                             "--times",  "25,1d",        "--repeats", "2",      "--adabs-images",
                             "20",       "--batch-size", "20",        "-o",     "out"},
                   {"out"}, signal, 12);
}

}  // namespace pcmkit::cli_test
