// MPI for a process started by mpirun (Open MPI), nothing otherwise: a plain run never
// initialises MPI, so the single-machine path is the same with or without MPI built in.
// Built without MPI (CMake found none, or PCMKIT_MPI=OFF), launched_by_mpirun() is false.
#pragma once

namespace pcmkit::parallel {

// True when this process is one rank of an mpirun job and pcmkit was built with MPI.
bool launched_by_mpirun();
// Whether this build can use MPI at all.
bool built_with_mpi();

// Initialises MPI (with thread support for a helper thread) when launched_by_mpirun(); the
// session ends with finish(). One per process.
class MpiSession {
 public:
  MpiSession();
  ~MpiSession();  // finish(1) if finish() was not called
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  bool active() const { return active_; }
  int rank() const { return rank_; }  // 0 when not active
  int size() const { return size_; }  // 1 when not active
  // Ends the session: MPI_Finalize when exit_code is 0, else MPI_Abort(exit_code), which stops
  // every rank (a rank that failed must not leave the others waiting for it).
  void finish(int exit_code);

 private:
  bool active_ = false;
  bool finished_ = false;
  int rank_ = 0, size_ = 1;
};

// The session of this process, or null when none was created or it is not active.
const MpiSession* current_mpi_session();

}  // namespace pcmkit::parallel
