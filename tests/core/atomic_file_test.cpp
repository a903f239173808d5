// write_atomically / write_text_atomically (core/atomic_file.h): nothing is left behind on
// failure, and the target is replaced in one rename on success.
#include "pcmkit/core/atomic_file.h"

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "pcmkit/core/error.h"
#include "test_support/temp_dir.h"

namespace pcmkit {
namespace {

namespace fs = std::filesystem;

using test::TempDir;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> sorted(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  return names;
}

void write_raw(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

TEST_CASE("a writer that throws leaves no file and no temporary") {
  TempDir dir;
  const fs::path target = dir.path() / "out.h5";
  fs::path seen;
  CHECK_THROWS_WITH_AS(write_atomically(target,
                                        [&](const fs::path& tmp) {
                                          seen = tmp;
                                          write_raw(tmp, "half a file");
                                          throw std::runtime_error("writer failed");
                                        }),
                       "writer failed", std::runtime_error);  // propagates unchanged
  CHECK(seen.parent_path() == dir.path());  // same directory, so the rename is atomic
  CHECK(seen != target);
  CHECK(dir.entries().empty());
}

TEST_CASE("a writer that throws leaves an existing target untouched") {
  TempDir dir;
  const fs::path target = dir.path() / "model.json";
  write_raw(target, "old");
  CHECK_THROWS_AS(write_atomically(target,
                                   [](const fs::path& tmp) {
                                     write_raw(tmp, "new");
                                     throw InputError("x", "y", "z");
                                   }),
                  InputError);
  CHECK(read_all(target) == "old");
  CHECK(dir.entries() == std::vector<std::string>{"model.json"});
}

TEST_CASE("success replaces the target in one step") {
  TempDir dir;
  const fs::path target = dir.path() / "model.json";
  write_raw(target, "old contents");
  write_atomically(target, [&](const fs::path& tmp) {
    write_raw(tmp, "new contents");
    CHECK(read_all(target) == "old contents");  // unchanged until the rename
  });
  CHECK(read_all(target) == "new contents");
  CHECK(dir.entries() == std::vector<std::string>{"model.json"});

  const std::string binary("a\0b\nc\r\n", 7);  // written byte for byte
  write_text_atomically(target, binary);
  CHECK(read_all(target) == binary);
  write_text_atomically(dir.path() / "empty.txt", "");
  CHECK(fs::file_size(dir.path() / "empty.txt") == 0);
  CHECK(dir.entries().size() == 2);
}

TEST_CASE("a missing directory throws RunError before calling the writer") {
  TempDir dir;
  bool called = false;
  const fs::path target = dir.path() / "no_such_dir" / "out.json";
  try {
    write_atomically(target, [&](const fs::path&) { called = true; });
    FAIL("no exception");
  } catch (const RunError& e) {
    CHECK(std::string(e.what()).find("no_such_dir") != std::string::npos);
  }
  CHECK_FALSE(called);
  CHECK_THROWS_AS(write_text_atomically(target, "x"), RunError);
  CHECK(dir.entries().empty());
}

TEST_CASE("a failed rename (target is a directory) throws RunError and removes the temporary") {
  TempDir dir;
  fs::create_directory(dir.path() / "taken");
  fs::create_directory(dir.path() / "taken" / "inside");  // non-empty: rename cannot replace it
  CHECK_THROWS_AS(write_text_atomically(dir.path() / "taken", "x"), RunError);
  CHECK(dir.entries() == std::vector<std::string>{"taken"});
}

TEST_CASE("a bare file name is written in the current directory") {
  TempDir dir;
  struct RestoreCwd {
    fs::path cwd = fs::current_path();
    ~RestoreCwd() { fs::current_path(cwd); }
  } restore;
  fs::current_path(dir.path());
  write_text_atomically("plain.txt", "here");
  CHECK(read_all(dir.path() / "plain.txt") == "here");
  CHECK(dir.entries().size() == 1);
}

TEST_CASE("OutputSet: nothing is replaced before commit, everything at commit") {
  TempDir dir;
  write_raw(dir.path() / "results.csv", "old csv");
  OutputSet outputs;
  outputs.add_text(dir.path() / "results.csv", "new csv");
  outputs.add_text(dir.path() / "results.json", "new json");
  CHECK(read_all(dir.path() / "results.csv") == "old csv");
  CHECK(!fs::exists(dir.path() / "results.json"));
  const std::vector<fs::path> committed = outputs.commit();
  CHECK(committed ==
        std::vector<fs::path>{dir.path() / "results.csv", dir.path() / "results.json"});
  CHECK(read_all(dir.path() / "results.csv") == "new csv");
  CHECK(read_all(dir.path() / "results.json") == "new json");
  CHECK(sorted(dir.entries()) == std::vector<std::string>{"results.csv", "results.json"});
}

TEST_CASE("OutputSet: a later file that fails leaves the earlier targets as they were") {
  TempDir dir;
  write_raw(dir.path() / "results.csv", "old csv");
  fs::create_directory(dir.path() / "results.json");  // the second output cannot be written
  {
    OutputSet outputs;
    outputs.add_text(dir.path() / "results.csv", "new csv");
    CHECK_THROWS_AS(outputs.add_text(dir.path() / "results.json", "new json"), RunError);
  }  // the run gives up: the set is destroyed uncommitted
  CHECK(read_all(dir.path() / "results.csv") == "old csv");
  CHECK(sorted(dir.entries()) == std::vector<std::string>{"results.csv", "results.json"});
  {
    OutputSet outputs;
    outputs.add_text(dir.path() / "a.txt", "a");
    CHECK_THROWS_AS(outputs.add(dir.path() / "b.txt",
                                [](const fs::path& tmp) {
                                  write_raw(tmp, "half");
                                  throw std::runtime_error("writer failed");
                                }),
                    std::runtime_error);
  }
  CHECK(sorted(dir.entries()) == std::vector<std::string>{"results.csv", "results.json"});
}

TEST_CASE("OutputSet: a rename that fails at commit throws and leaves no temporaries") {
  TempDir dir;
  OutputSet outputs;
  outputs.add_text(dir.path() / "a.txt", "a");
  outputs.add_text(dir.path() / "b.txt", "b");
  outputs.add_text(dir.path() / "c.txt", "c");
  fs::create_directories(dir.path() / "b.txt" / "inside");  // appears after add: rename fails
  CHECK_THROWS_WITH_AS(outputs.commit(), doctest::Contains("b.txt: cannot write"), RunError);
  CHECK(read_all(dir.path() / "a.txt") == "a");  // renamed before the failure
  CHECK(sorted(dir.entries()) == std::vector<std::string>{"a.txt", "b.txt"});
}

TEST_CASE("OutputSet: one file named twice (two spellings, a link) is refused, nothing replaced") {
  TempDir dir;
  write_raw(dir.path() / "report.md", "old");
  fs::create_symlink(dir.path() / "report.md", dir.path() / "link.md");
  fs::create_directory(dir.path() / "sub");
  for (const fs::path& again : {dir.path() / "." / "report.md", dir.path() / "link.md",
                                dir.path() / "sub" / ".." / "report.md"}) {
    CAPTURE(again);
    {
      OutputSet outputs;
      outputs.add_text(dir.path() / "report.md", "first");
      CHECK_THROWS_WITH_AS(outputs.add_text(again, "second"),
                           doctest::Contains("written twice by this run"), RunError);
    }
    CHECK(read_all(dir.path() / "report.md") == "old");
    CHECK(sorted(dir.entries()) == std::vector<std::string>{"link.md", "report.md", "sub"});
  }
}

extern "C" void exit_on_signal(int signal) {
  if (discard_pending_outputs(signal)) _exit(128 + signal);
}

// In a forked child: one thread stages `files` new files over the old ones in `dir` and commits
// while the main thread, idle otherwise (so the signal lands on it, not on the committer), sends
// SIGTERM to the process `delay_us` after the commit starts. Ends with the handler's exit code.
[[noreturn]] void commit_while_signalled(const fs::path& dir, int files, int delay_us) {
  try {
    std::signal(SIGTERM, exit_on_signal);
    std::atomic<bool> committing{false};
    std::thread committer([&] {
      OutputSet outputs;
      for (int i = 0; i < files; ++i) outputs.add_text(dir / (std::to_string(i) + ".txt"), "new");
      committing.store(true);
      outputs.commit();
    });
    while (!committing.load()) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
    ::kill(::getpid(), SIGTERM);
    committer.join();
    for (;;) ::pause();  // the handler ends the process
  } catch (...) {
    _exit(3);
  }
}

TEST_CASE("OutputSet: a signal handled by another thread during commit leaves no mixed set") {
  constexpr int kFiles = 300;
  int interrupted_before = 0, interrupted_after = 0;
  for (int k = 0; k < 24; ++k) {
    const int delay_us = 100 * k;
    CAPTURE(delay_us);
    TempDir dir;
    for (int i = 0; i < kFiles; ++i) write_raw(dir.path() / (std::to_string(i) + ".txt"), "old");
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) commit_while_signalled(dir.path(), kFiles, delay_us);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
    int old_files = 0, new_files = 0;
    for (int i = 0; i < kFiles; ++i) {
      const std::string text = read_all(dir.path() / (std::to_string(i) + ".txt"));
      old_files += text == "old";
      new_files += text == "new";
    }
    CHECK(old_files + new_files == kFiles);
    CHECK((old_files == 0 || new_files == 0));
    CHECK(dir.entries().size() == static_cast<std::size_t>(kFiles));  // no temporary left
    interrupted_before += old_files == kFiles;
    interrupted_after += new_files == kFiles;
  }
  MESSAGE(interrupted_before << " runs kept the old set, " << interrupted_after << " the new");
}

TEST_CASE("SignalsWait: a signal inside the scope is handled when the scope ends") {
  TempDir dir;
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::signal(SIGTERM, exit_on_signal);
    {
      const SignalsWait wait;
      ::kill(::getpid(), SIGTERM);  // handled now: it defers and returns
      std::ofstream(dir.path() / "after-signal") << "the scope went on";
    }
    _exit(0);  // not reached: the scope's end raised the signal again
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
  CHECK(read_all(dir.path() / "after-signal") == "the scope went on");
}

TEST_CASE("PendingChild: a signal stops the child before its temporary is removed") {
  TempDir dir;
  const fs::path figure = dir.path() / ".figure.tmp";
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::signal(SIGTERM, exit_on_signal);
    const PendingTemporary pending(figure);
    std::unique_ptr<PendingChild> child;
    {
      const SignalsWait spawn_and_register;
      const pid_t drawer = ::fork();  // a gnuplot stand-in: writes its file 0.3 s from now
      if (drawer == 0) {
        ::usleep(300000);
        std::ofstream(figure) << "drawn after the handler";
        _exit(0);
      }
      child = std::make_unique<PendingChild>(drawer);
      ::kill(::getpid(), SIGTERM);  // handled when the scope ends, the drawer registered
    }
    _exit(0);  // not reached
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
  ::usleep(500000);  // past the moment the drawer would have written
  CHECK(!fs::exists(figure));
}

TEST_CASE("OutputSet: more temporaries than a signal handler can track are refused") {
  TempDir dir;
  OutputSet outputs;
  int added = 0;
  CHECK_THROWS_WITH_AS(
      [&] {
        for (; added < 2000; ++added)
          outputs.add_text(dir.path() / (std::to_string(added) + ".txt"), "x");
      }(),
      doctest::Contains("temporary files at once"), RunError);
  CHECK(added == 1024);
}

}  // namespace
}  // namespace pcmkit
