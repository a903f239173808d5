#include "pcmkit/core/detail/gnuplot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <system_error>

#include "pcmkit/core/atomic_file.h"
#include "pcmkit/core/error.h"

extern char** environ;

namespace pcmkit {

// Without a shell, so that no directory or file name is ever interpreted. Waiting is a plain
// waitpid: a signal reaches our handler (which exits), unlike std::system, which ignores SIGINT.
bool run_gnuplot(const std::filesystem::path& dir, const std::string& script) {
  posix_spawn_file_actions_t actions;
  if (posix_spawn_file_actions_init(&actions) != 0) return false;
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::string program = "gnuplot", argument = script;
  char* argv[] = {program.data(), argument.data(), nullptr};
  pid_t pid = 0;
  std::unique_ptr<PendingChild> pending;  // a signal handler stops it before removing its files
  {
    const SignalsWait spawn_and_register;
    const int spawned = posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) return false;
    try {
      pending = std::make_unique<PendingChild>(pid);
    } catch (const RunError&) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return false;
    }
  }
  // Waited for without reaping, so that its pid cannot be reused while it is still registered.
  siginfo_t info{};
  while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0)
    if (errno != EINTR) return false;
  pending.reset();
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool have_gnuplot() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::filesystem::path candidate = (dir.empty() ? "." : dir) + std::string("/gnuplot");
    if (::access(candidate.c_str(), X_OK) == 0) return true;
  }
  return false;
}

}  // namespace pcmkit
