// pcmkit: the command line. Each subcommand lives in its own file; this one dispatches and maps
// errors to exit codes (README, "Exit codes"): 0 success, 1 run failed, 2 bad input,
// 128 + signal when interrupted (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "calibrate_command.h"
#include "command.h"
#include "data_command.h"
#include "evaluate_command.h"
#include "model_command.h"
#include "pcmkit/core/atomic_file.h"
#include "pcmkit/core/detail/allocator_tuning.h"
#include "pcmkit/core/detail/interruption_note.h"
#include "pcmkit/core/error.h"
#include "pcmkit/core/version.h"
#include "pcmkit/parallel/mpi_session.h"
#include "synth_command.h"
#include "train_command.h"

namespace {

// Ctrl-C, SIGTERM (e.g. mpirun stopping a job whose rank died) and SIGHUP alike: remove
// half-written outputs, say what was kept, exit 128 + signal (README, "Exit codes").
extern "C" void on_interrupt(int signal) {
  if (!pcmkit::discard_pending_outputs(signal)) return;  // raised again after a commit
  pcmkit::write_interruption_note("pcmkit: interrupted");
  _exit(128 + signal);
}

int run(int argc, char** argv, const std::string& command);

}  // namespace

int main(int argc, char** argv) {
  pcmkit::keep_freed_memory_in_heap();
  // The handler may return (a signal during a commit is raised again when it ends): restart the
  // calls it interrupted, keep it installed, and hold the other two back while it runs.
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&action.sa_mask, s);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &action, nullptr);
  std::string command = "pcmkit";
  for (int i = 1; i < argc; ++i)
    if (argv[i][0] != '-') {
      command += std::string(" ") + argv[i];
      break;
    }
  // Under mpirun: one MPI session for the process; only evaluate shares work among ranks.
  std::unique_ptr<pcmkit::parallel::MpiSession> mpi;
  if (pcmkit::parallel::launched_by_mpirun()) {
    mpi = std::make_unique<pcmkit::parallel::MpiSession>();
    if (mpi->rank() > 0) command += " (rank " + std::to_string(mpi->rank()) + ")";
    if (mpi->size() > 1 && command.rfind("pcmkit evaluate", 0) != 0) {
      if (mpi->rank() == 0)
        std::fprintf(stderr, "%s: error: only pcmkit evaluate runs under mpirun\n",
                     command.c_str());
      mpi->finish(pcmkit::cli::kExitBadInput);
      return pcmkit::cli::kExitBadInput;
    }
  }
  const int code = run(argc, argv, command);
  std::fflush(stdout);
  if (mpi) mpi->finish(code);
  return code;
}

namespace {

int run(int argc, char** argv, const std::string& command) {
  using namespace pcmkit::cli;
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

}  // namespace
