// Helpers for the CLI tests: run the built `pcmkit` binary as a child process (fork/exec, stdout
// and stderr captured through pipes, exit status kept), in a scratch directory of its own that is
// removed afterwards; and the manifests of the bad-input corpus.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace pcmkit::cli_test {

namespace fs = std::filesystem;

inline const fs::path kPcmkit = PCMKIT_CLI;
inline const fs::path kDataDir = PCMKIT_TEST_DATA_DIR;

// A run that takes longer than this is a hang: the child is killed and the test fails.
inline constexpr std::chrono::seconds kTimeout{60};

struct Outcome {
  int exit_code = -1;  // -1 when the child did not exit normally
  int signal = 0;      // the signal that ended it, if any
  bool timed_out = false;
  std::string out, err;
};

// Where the child's stderr goes: a pipe (as in scripts and CI), or a pseudo-terminal (as for a
// user at a shell). Either way it is captured in Outcome::err.
enum class StderrTo { kPipe, kTerminal };

namespace detail {

inline void check_sys(bool ok, const char* what) {
  if (!ok) throw std::system_error(errno, std::generic_category(), what);
}

// Appends what is readable on fd to text; returns false at end of file. A pseudo-terminal's
// master reports EIO once the child has closed the last slave descriptor: also end of file.
inline bool drain(int fd, std::string& text) {
  char buffer[4096];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n > 0) {
    text.append(buffer, static_cast<std::size_t>(n));
    return true;
  }
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  return false;
}

}  // namespace detail

// Called every 20 ms with the child's pid while it runs (e.g. to interrupt it at some point).
using WhileRunning = std::function<void(pid_t)>;

// Runs `program args...` (a path) with working directory cwd and stdin from /dev/null.
inline Outcome run_program(const std::string& program,
                           const std::vector<std::string>& args,
                           const fs::path& cwd,
                           StderrTo stderr_to = StderrTo::kPipe,
                           const WhileRunning& while_running = {}) {
  using detail::check_sys;
  // Everything the child needs is prepared before fork: after it, the child only calls
  // async-signal-safe functions.
  const std::string dir = cwd.string();
  std::vector<std::string> argv_text{program};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out_pipe[2], err_pipe[2] = {-1, -1};
  check_sys(::pipe2(out_pipe, O_CLOEXEC) == 0, "pipe2");
  int err_read = -1, err_write = -1;
  if (stderr_to == StderrTo::kPipe) {
    check_sys(::pipe2(err_pipe, O_CLOEXEC) == 0, "pipe2");
    err_read = err_pipe[0];
    err_write = err_pipe[1];
  } else {
    err_read = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    check_sys(err_read >= 0, "posix_openpt");
    check_sys(::grantpt(err_read) == 0 && ::unlockpt(err_read) == 0, "grantpt");
    err_write = ::open(::ptsname(err_read), O_RDWR | O_NOCTTY | O_CLOEXEC);
    check_sys(err_write >= 0, "open pty");
  }
  const int null_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  check_sys(null_in >= 0, "open /dev/null");

  const pid_t pid = ::fork();
  check_sys(pid >= 0, "fork");
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0 || ::dup2(null_in, 0) < 0 || ::dup2(out_pipe[1], 1) < 0 ||
        ::dup2(err_write, 2) < 0)
      ::_exit(126);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(null_in);
  ::close(out_pipe[1]);
  ::close(err_write);

  Outcome outcome;
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_read, POLLIN, 0}};
  std::string* texts[2] = {&outcome.out, &outcome.err};
  int open_fds = 2;
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      outcome.timed_out = true;
      break;
    }
    if (while_running) while_running(pid);
    const int ready = ::poll(
        fds, 2, static_cast<int>(while_running ? std::min<long>(20, left.count()) : left.count()));
    if (ready < 0 && errno == EINTR) continue;
    check_sys(ready >= 0, "poll");
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || fds[k].revents == 0) continue;
      if (!detail::drain(fds[k].fd, *texts[k])) {
        ::close(fds[k].fd);
        fds[k].fd = -1;
        --open_fds;
      }
    }
  }
  for (const pollfd& p : fds)
    if (p.fd >= 0) ::close(p.fd);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) check_sys(errno == EINTR, "waitpid");
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  return outcome;
}

// Runs `pcmkit args...` with working directory cwd and stdin from /dev/null.
inline Outcome run_pcmkit(const std::vector<std::string>& args,
                          const fs::path& cwd,
                          StderrTo stderr_to = StderrTo::kPipe,
                          const WhileRunning& while_running = {}) {
  return run_program(kPcmkit.string(), args, cwd, stderr_to, while_running);
}

// "pcmkit a b c", for INFO messages.
inline std::string command_line(const std::vector<std::string>& args) {
  std::string text = "pcmkit";
  for (const std::string& a : args) text += " " + a;
  return text;
}

// A fresh directory under the system's temporary directory, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string name = (fs::temp_directory_path() / "pcmkit_cli_test_XXXXXX").string();
    detail::check_sys(::mkdtemp(name.data()) != nullptr, "mkdtemp");
    path_ = name;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

  // Every file and directory below the scratch directory, hidden ones included, as sorted
  // relative paths ("rep", "rep/report.md", ".out.json.tmp123").
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const fs::directory_entry& e : fs::recursive_directory_iterator(path_))
      names.push_back(fs::relative(e.path(), path_).string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  fs::path path_;
};

// "a, b, c" for INFO messages.
inline std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& n : names) text += (text.empty() ? "" : ", ") + n;
  return text.empty() ? "(none)" : text;
}

inline std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The CLI's error contract (docs/style.md, exit-code table): exactly one line on stderr,
// "pcmkit …: error: …".
inline void check_one_error_line(const std::string& err) {
  INFO("stderr: ", err);
  CHECK(count_lines(err) == 1);
  CHECK(!err.empty());
  if (err.empty()) return;
  CHECK(err.back() == '\n');
  CHECK(err.rfind("pcmkit", 0) == 0);
  CHECK(contains(err, "error"));
}

// Runs pcmkit with `args` in a fresh scratch directory and checks the bad-input contract: exit 2,
// one error line that mentions `expected`, and nothing written.
inline void check_rejected(const std::vector<std::string>& args, const std::string& expected) {
  ScratchDir scratch;
  INFO(command_line(args));
  const Outcome r = run_pcmkit(args, scratch.path());
  INFO("stderr: ", r.err);
  CHECK(r.exit_code == 2);
  check_one_error_line(r.err);
  CHECK(contains(r.err, expected));
  CHECK(scratch.entries().empty());
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// One row of tests/data/bad*/manifest.tsv: file, field (may be empty) and, in the model
// manifest, the problem text. Columns are separated by single tabs.
struct ManifestRow {
  std::string file, field, problem;
};

inline std::vector<ManifestRow> read_manifest(const fs::path& path) {
  std::vector<ManifestRow> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> columns;
    std::string column;
    std::istringstream fields(line);
    while (std::getline(fields, column, '\t')) columns.push_back(column);
    columns.resize(std::max<std::size_t>(columns.size(), 3));
    rows.push_back({columns[0], columns[1], columns[2]});
  }
  return rows;
}

}  // namespace pcmkit::cli_test
