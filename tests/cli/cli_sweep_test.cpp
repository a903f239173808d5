// Evaluation sweeps as a cluster user meets them: the same files whatever the number of MPI
// ranks (or none), a sweep interrupted by a signal or a dead rank resumed to the uninterrupted
// run's files, no item computed twice. Uses the shared ResNet-20 and CIFAR-10 test images
// (skipped without ../shared); the MPI cases need a build with MPI (skipped otherwise).
#include <dirent.h>
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_process.h"

namespace pcmkit::cli_test {
namespace {

const fs::path kShared = PCMKIT_SHARED_DIR;
const std::string kModel =
    (fs::path(PCMKIT_SOURCE_DIR) / "calibration/pcm_like_nandakumar2019.json").string();

struct Sweep {
  ScratchDir scratch;
  bool available = false;
  Sweep() {
    const fs::path images = kShared / "cifar10/test_batch.bin";
    if (!fs::exists(images) || !fs::exists(kShared / "weights/resnet20-12fca82f.h5")) return;
    // The shared folder has no training split: AdaBS calibrates on test images here.
    fs::create_directories(scratch / "calibration");
    fs::create_symlink(images, scratch / "calibration/data_batch_1.bin");
    available = true;
  }
  std::vector<std::string> args(const std::string& out, int images = 100) const {
    return {"evaluate",
            "--quiet",
            "--model",
            kModel,
            "--weights",
            (kShared / "weights/resnet20-12fca82f.h5").string(),
            "--arch",
            "resnet20",
            "--data",
            (kShared / "cifar10").string(),
            "--calibration-data",
            (scratch / "calibration").string(),
            "--max-images",
            std::to_string(images),
            "--adabs-images",
            "50",
            "--batch-size",
            "50",
            "--times",
            "25,1h,1d",
            "--repeats",
            "2",
            "--threads",
            "1",
            "-o",
            out};
  }
  Outcome run(const std::string& out, int images = 100, const WhileRunning& watch = {}) const {
    return run_pcmkit(args(out, images), scratch.path(), StderrTo::kPipe, watch);
  }
};

std::size_t journal_lines(const fs::path& out) {
  std::ifstream in(out / "sweep.journal");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return count_lines(text);
}

void check_same_results(const fs::path& a, const fs::path& b) {
  for (const char* name : {"results.csv", "results.json", "accuracy.dat"}) {
    INFO(name);
    CHECK(read_text(a / name) == read_text(b / name));
  }
}

std::vector<std::string> temporaries(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().string().find(".tmp") != std::string::npos) found.push_back(e.path().string());
  return found;
}

}  // namespace

TEST_CASE("a sweep interrupted by SIGTERM or SIGINT resumes to the uninterrupted run's files") {
  Sweep s;
  if (!s.available) {
    MESSAGE("skipped: " << kShared << " not present");
    return;
  }
  const Outcome whole = s.run("whole", 200);
  INFO("stderr: ", whole.err);
  REQUIRE(whole.exit_code == 0);
  CHECK_FALSE(fs::exists(s.scratch / "whole/sweep.journal"));  // gone once the results are out

  for (const int signal : {SIGTERM, SIGINT}) {
    const std::string out = signal == SIGTERM ? "term" : "int";
    bool sent = false;
    const Outcome stopped = s.run(out, 200, [&](pid_t pid) {
      if (!sent && journal_lines(s.scratch / out) >= 5) {  // the header and 4 items
        ::kill(pid, signal);
        sent = true;
      }
    });
    INFO("stderr: ", stopped.err);
    REQUIRE(sent);
    CHECK(stopped.exit_code == 128 + signal);
    CHECK(contains(stopped.err, "items kept in"));
    CHECK(contains(stopped.err, "--resume"));
    CHECK(temporaries(s.scratch.path()).empty());
    CHECK_FALSE(fs::exists(s.scratch / out / "results.csv"));
    const std::size_t kept = journal_lines(s.scratch / out) - 1;

    // Without --resume the journal is not overwritten.
    const Outcome refused = s.run(out, 200);
    CHECK(refused.exit_code == 2);
    CHECK(contains(refused.err, "--resume"));

    std::vector<std::string> resume = s.args(out, 200);
    resume.erase(resume.begin() + 1);  // progress on: it says what was kept
    resume.push_back("--resume");
    const Outcome resumed = run_pcmkit(resume, s.scratch.path());
    INFO("resumed: ", resumed.err);
    CHECK(resumed.exit_code == 0);
    CHECK(contains(resumed.err, "resuming: " + std::to_string(kept) + " of 19 items"));
    check_same_results(s.scratch / "whole", s.scratch / out);
    CHECK_FALSE(fs::exists(s.scratch / out / "sweep.journal"));
  }
}

#ifdef PCMKIT_MPIEXEC

namespace {

Outcome run_mpi(const Sweep& s, int ranks, const std::string& out, const WhileRunning& watch = {}) {
  std::vector<std::string> args = {"--allow-run-as-root", "--oversubscribe", "-np",
                                   std::to_string(ranks), kPcmkit.string()};
  const std::vector<std::string> evaluate = s.args(out);
  args.insert(args.end(), evaluate.begin(), evaluate.end());
  return run_program(PCMKIT_MPIEXEC, args, s.scratch.path(), StderrTo::kPipe, watch);
}

// The pid of rank `rank` among the children of mpirun `parent`, or 0.
pid_t rank_pid(pid_t parent, int rank) {
  DIR* proc = ::opendir("/proc");
  pid_t found = 0;
  while (dirent* e = proc ? ::readdir(proc) : nullptr) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    const std::size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    fields >> state >> ppid;
    if (ppid != parent) continue;
    std::ifstream environ("/proc/" + std::to_string(pid) + "/environ");
    const std::string env((std::istreambuf_iterator<char>(environ)),
                          std::istreambuf_iterator<char>());
    if (env.find("OMPI_COMM_WORLD_RANK=" + std::to_string(rank) + '\0') != std::string::npos) {
      found = pid;
      break;
    }
  }
  if (proc) ::closedir(proc);
  return found;
}

}  // namespace

TEST_CASE("mpirun with 1, 2, 3, 4, 8 and 16 ranks writes the files of the build without MPI") {
  Sweep s;
  if (!s.available) {
    MESSAGE("skipped: " << kShared << " not present");
    return;
  }
  const Outcome plain = s.run("plain");
  INFO("stderr: ", plain.err);
  REQUIRE(plain.exit_code == 0);
  // The build without MPI writes the same files as a plain run of this one.
  const Outcome without = run_program(PCMKIT_CLI_WITHOUT_MPI, s.args("without"), s.scratch.path());
  REQUIRE(without.exit_code == 0);
  check_same_results(s.scratch / "plain", s.scratch / "without");
  for (const int ranks : {1, 2, 3, 4, 8, 16}) {
    const std::string out = "np" + std::to_string(ranks);
    const Outcome r = run_mpi(s, ranks, out);
    INFO("ranks: ", ranks, "\nstderr: ", r.err);
    REQUIRE(r.exit_code == 0);
    // Rank 0 alone prints the table and the files written.
    std::string expected = plain.out;
    for (std::size_t at; (at = expected.find("plain/")) != std::string::npos;)
      expected.replace(at, 6, out + "/");
    CHECK(r.out == expected);
    check_same_results(s.scratch / "plain", s.scratch / out);
  }
}

TEST_CASE("a rank that dies stops the job within seconds, and the sweep resumes without MPI") {
  Sweep s;
  if (!s.available) {
    MESSAGE("skipped: " << kShared << " not present");
    return;
  }
  const Outcome plain = s.run("plain");
  REQUIRE(plain.exit_code == 0);
  bool killed = false;
  std::chrono::steady_clock::time_point kill_time;
  const Outcome r = run_mpi(s, 2, "dead", [&](pid_t mpirun) {
    if (killed || journal_lines(s.scratch / "dead") < 4) return;
    if (const pid_t rank1 = rank_pid(mpirun, 1)) {
      ::kill(rank1, SIGKILL);
      killed = true;
      kill_time = std::chrono::steady_clock::now();
    }
  });
  const double stop_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - kill_time).count();
  INFO("stderr: ", r.err);
  REQUIRE(killed);
  CHECK(r.exit_code != 0);
  CHECK(stop_s < 15);
  CHECK(contains(r.err, "rank 1"));
  CHECK(contains(r.err, "items kept in"));
  CHECK(temporaries(s.scratch.path()).empty());
  std::vector<std::string> resume = s.args("dead");
  resume.push_back("--resume");
  const Outcome resumed = run_pcmkit(resume, s.scratch.path());
  INFO("resumed: ", resumed.err);
  CHECK(resumed.exit_code == 0);
  check_same_results(s.scratch / "plain", s.scratch / "dead");
}

TEST_CASE("under mpirun, commands other than evaluate refuse with one line") {
  Sweep s;
  const Outcome r =
      run_program(PCMKIT_MPIEXEC,
                  {"--allow-run-as-root", "--oversubscribe", "-np", "2", kPcmkit.string(), "synth",
                   "-o", "c.h5", "--devices-per-level", "10"},
                  s.scratch.path());
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "only pcmkit evaluate runs under mpirun"));
  CHECK_FALSE(fs::exists(s.scratch / "c.h5"));
}

#endif

}  // namespace pcmkit::cli_test
