// The command line of a benchmark program: optional positional arguments in a fixed order,
// parsed by CLI11 (so `--help`, types and ranges are checked before any work), and failures
// reported as pcmkit's commands report them (README, "Exit codes"): a bad argument or a bad input
// file is one stderr line and exit 2, a run that fails exit 1; never an uncaught exception.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>

#include "pcmkit/core/error.h"

namespace pcmkit::benchmark {

// Parses argv into `app`'s options, then runs `body` and returns its exit code; or returns 0
// after `--help` (usage on stdout), 2 after a bad argument or a pcmkit::InputError, 1 after any
// other exception, each error as one line "NAME: error: ..." on stderr (NAME: app's name).
inline int run_benchmark(CLI::App& app, int argc, char** argv, const std::function<int()>& body) {
  const std::string name = app.get_name();
  try {
    app.parse(argc, argv);
    return body();
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: error: %s (--help for usage)\n", name.c_str(), e.what());
    return 2;
  } catch (const InputError& e) {
    std::fprintf(stderr, "%s: error: %s\n", name.c_str(), e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", name.c_str(), e.what());
    return 1;
  }
}

}  // namespace pcmkit::benchmark
