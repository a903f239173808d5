// pcmkit: the command line. Each subcommand lives in its own file; this one dispatches and maps
// errors to exit codes (README, "Exit codes"): 0 success, 1 run failed, 2 bad input,
// 130 interrupted.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <exception>

#include "calibrate_command.h"
#include "command.h"
#include "data_command.h"
#include "evaluate_command.h"
#include "model_command.h"
#include "pcmkit/core/atomic_file.h"
#include "pcmkit/core/error.h"
#include "pcmkit/core/version.h"
#include "synth_command.h"
#include "train_command.h"

namespace {

// Ctrl-C: remove half-written outputs and exit 130 (README, "Exit codes").
extern "C" void on_interrupt(int) {
  pcmkit::remove_pending_temporaries();
  _exit(130);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pcmkit::cli;
  std::signal(SIGINT, on_interrupt);
  CLI::App app{"pcmkit: PCM device physics and analog in-memory inference"};
  app.set_version_flag("--version", std::string("pcmkit ") + pcmkit::kVersion);
  app.require_subcommand(1);
  SynthOptions synth;
  CalibrateOptions calibrate;
  ModelOptions model;
  DataOptions data;
  EvaluateOptions evaluate;
  TrainOptions train;
  add_synth_command(app, synth);
  add_calibrate_command(app, calibrate);
  add_model_command(app, model);
  add_data_command(app, data);
  add_evaluate_command(app, evaluate);
  add_train_command(app, train);

  std::string command = "pcmkit";
  for (int i = 1; i < argc; ++i)
    if (argv[i][0] != '-') {
      command += std::string(" ") + argv[i];
      break;
    }
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& done) {  // a subcommand finished: its exit code
    return done.get_exit_code();
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: error: %s\n", command.c_str(), e.what());
    return kExitBadInput;
  } catch (const pcmkit::InputError& e) {
    std::fprintf(stderr, "%s: error: %s\n", command.c_str(), e.what());
    return kExitBadInput;
  } catch (const pcmkit::RunError& e) {
    std::fprintf(stderr, "%s: error: %s\n", command.c_str(), e.what());
    return kExitRunFailed;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pcmkit: %s — please report\n", e.what());
    return kExitRunFailed;
  }
  return kExitOk;
}
