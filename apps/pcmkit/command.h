// What every subcommand shares: progress lines on stderr, and the exit codes of the CLI.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "pcmkit/core/progress.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace pcmkit::cli {

// Exit codes (README, "Exit codes").
inline constexpr int kExitOk = 0;
inline constexpr int kExitRunFailed = 1;
inline constexpr int kExitBadInput = 2;

// The library names a bad option by its field in the options struct ("learning_rate", as the
// settings JSON does), so that a program linking it reads field names; the command line speaks
// in flags ("--lr"). Each command lists the fields its flags set, and runs its work through
// with_flag_names so that its errors name the flag the user typed.
using FlagNames = std::vector<std::pair<std::string, std::string>>;  // {field, flag}

// The flag that sets `field`, or `field` itself when no flag does.
std::string flag_for(const std::string& field, const FlagNames& flags);

// Runs `work` and returns its exit code; an InputError about an option (one naming no file) is
// thrown again with its field replaced by the flag.
int with_flag_names(const FlagNames& flags, const std::function<int()>& work);

// Adds "--seed" to cmd: a decimal integer 0..2^64-1, read strictly. CLI11 alone would wrap "-1"
// and "18446744073709551616" to other seeds, so two "different" seeds could silently coincide.
CLI::Option* add_seed_option(CLI::App* cmd, std::uint64_t& seed);

// "~42 s", "~12 min", "~4.3 h": a time left, as people read it.
std::string time_left_text(double seconds);

// A ProgressCallback that prints "stage: done/total (rate/s, ~N s left)" on stderr unless quiet:
// at each new stage and at most 4 times a second on a terminal; at most every 30 s (and never in
// the first 30 s) when stderr is a file or pipe, so that logs of long runs show progress and
// short runs stay silent.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(std::string command, bool quiet = false);
  ProgressCallback callback();

 private:
  void print(const Progress& p);
  std::string command_;
  bool quiet_, terminal_;
  std::string stage_;
  std::chrono::steady_clock::time_point stage_start_, last_print_;
};

}  // namespace pcmkit::cli
