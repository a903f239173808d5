// What every subcommand shares: progress lines on stderr, and the exit codes of the CLI.
#pragma once

#include <chrono>
#include <string>

#include "pcmkit/core/progress.h"

namespace pcmkit::cli {

// Exit codes (README, "Exit codes").
inline constexpr int kExitOk = 0;
inline constexpr int kExitRunFailed = 1;
inline constexpr int kExitBadInput = 2;

// A ProgressCallback that prints "stage: done/total (rate/s, ~N s left)" on stderr, at most a
// few times a second, and only when stderr is a terminal or verbose is set.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(std::string command, bool quiet = false);
  ProgressCallback callback();

 private:
  void print(const Progress& p);
  std::string command_;
  bool quiet_;
  std::string stage_;
  std::chrono::steady_clock::time_point stage_start_, last_print_;
};

}  // namespace pcmkit::cli
