#include "command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string>

#include "pcmkit/core/error.h"

namespace pcmkit::cli {

std::string flag_for(const std::string& field, const FlagNames& flags) {
  const auto it = std::find_if(flags.begin(), flags.end(),
                               [&](const auto& pair) { return pair.first == field; });
  return it == flags.end() ? field : it->second;
}

int with_flag_names(const FlagNames& flags, const std::function<int()>& work) {
  try {
    return work();
  } catch (const InputError& e) {
    if (!e.file().empty()) throw;
    throw InputError("", flag_for(e.field(), flags), e.problem());
  }
}

CLI::Option* add_seed_option(CLI::App* cmd, std::uint64_t& seed) {
  auto parse = [&seed](const std::string& text) {
    std::uint64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || stop != end)
      throw CLI::ValidationError("--seed", "must be an integer from 0 to " +
                                               std::to_string(UINT64_MAX) + ", got '" + text + "'");
    seed = value;
  };
  return cmd->add_option_function<std::string>("--seed", parse, "Random seed")
      ->type_name("UINT")
      ->default_str(std::to_string(seed));
}

std::string time_left_text(double seconds) {
  char text[32];
  if (seconds < 100)
    std::snprintf(text, sizeof text, "~%.0f s", seconds);
  else if (seconds < 6000)
    std::snprintf(text, sizeof text, "~%.0f min", seconds / 60);
  else
    std::snprintf(text, sizeof text, "~%.1f h", seconds / 3600);
  return text;
}

ProgressPrinter::ProgressPrinter(std::string command, bool quiet)
    : command_(std::move(command)),
      quiet_(quiet),
      terminal_(::isatty(STDERR_FILENO) != 0),
      last_print_(std::chrono::steady_clock::now()) {}

ProgressCallback ProgressPrinter::callback() {
  return [this](const Progress& p) { print(p); };
}

void ProgressPrinter::print(const Progress& p) {
  if (quiet_) return;
  const auto now = std::chrono::steady_clock::now();
  const bool new_stage = p.stage != stage_;
  if (new_stage) {
    stage_ = p.stage;
    stage_start_ = now;
  }
  if (terminal_) {
    if (!new_stage && p.done < p.total && now - last_print_ < std::chrono::milliseconds(250))
      return;
  } else if (now - last_print_ < std::chrono::seconds(30)) {
    return;  // a log file gets a line every 30 s, not one per item
  }
  last_print_ = now;
  const double elapsed = std::chrono::duration<double>(now - stage_start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(p.done) / elapsed : 0.0;
  if (p.total > 0 && rate > 0 && p.done < p.total)
    std::fprintf(stderr, "%s: %s %lld/%lld (%.3g/s, %s left)\n", command_.c_str(), p.stage.c_str(),
                 static_cast<long long>(p.done), static_cast<long long>(p.total), rate,
                 time_left_text(static_cast<double>(p.total - p.done) / rate).c_str());
  else
    std::fprintf(stderr, "%s: %s %lld/%lld (%.1f s)\n", command_.c_str(), p.stage.c_str(),
                 static_cast<long long>(p.done), static_cast<long long>(p.total), elapsed);
}

}  // namespace pcmkit::cli
