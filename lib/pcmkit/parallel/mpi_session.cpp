#include "pcmkit/parallel/mpi_session.h"

#include <cstdlib>

#include "pcmkit/core/error.h"
#include "pcmkit/core/detail/isolated_call.h"

#if PCMKIT_HAVE_MPI
#include <mpi.h>
#endif

namespace pcmkit::parallel {
namespace {
const MpiSession* g_session = nullptr;
}  // namespace

bool built_with_mpi() { return PCMKIT_HAVE_MPI != 0; }

bool launched_by_mpirun() {
  // Open MPI's launcher sets these in every rank it starts (PMIx for other launchers).
  return built_with_mpi() && (std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK"));
}

MpiSession::MpiSession() {
  PCMKIT_CHECK(g_session == nullptr, "one MpiSession per process");
#if PCMKIT_HAVE_MPI
  if (launched_by_mpirun()) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    if (provided < MPI_THREAD_SERIALIZED) {
      MPI_Finalize();
      throw RunError("the MPI library does not allow calls from a helper thread");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    active_ = true;
    g_session = this;
    run_isolated_in_process();  // no fork() once MPI runs
  }
#endif
}

MpiSession::~MpiSession() {
  if (!finished_) finish(1);
  if (g_session == this) g_session = nullptr;
}

void MpiSession::finish(int exit_code) {
  if (finished_) return;
  finished_ = true;
#if PCMKIT_HAVE_MPI
  if (!active_) return;
  if (exit_code == 0 || size_ == 1)
    MPI_Finalize();
  else
    MPI_Abort(MPI_COMM_WORLD, exit_code);
#else
  (void)exit_code;
#endif
}

const MpiSession* current_mpi_session() { return g_session; }

}  // namespace pcmkit::parallel
