#include "pcmkit/parallel/mpi_item_runner.h"

#include <atomic>
#include <bit>
#include <chrono>
#include <cstdio>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "pcmkit/core/error.h"
#include "pcmkit/parallel/mpi_session.h"

#if PCMKIT_HAVE_MPI
#include <mpi.h>
#endif

namespace pcmkit::parallel {

MpiItemRunner::MpiItemRunner() {
  PCMKIT_CHECK(current_mpi_session() != nullptr, "MpiItemRunner needs an active MpiSession");
}

#if !PCMKIT_HAVE_MPI

bool MpiItemRunner::run(const std::vector<std::int64_t>&, const ItemCompute&, const ItemFinished&) {
  PCMKIT_CHECK(false, "built without MPI");
  return false;
}

#else

namespace {

constexpr int kTagRequest = 1;  // worker → rank 0: {finished item or −1, result bits}
constexpr int kTagItem = 2;     // rank 0 → worker: {next item, or −1 = no more}
constexpr std::int64_t kNone = -1;

// Rank 0's side: the queue of items, shared by the helper thread (serving other ranks) and the
// main thread (computing); every finished() call holds the lock, so it is never concurrent.
class Dispatcher {
 public:
  Dispatcher(const std::vector<std::int64_t>& pending, const ItemFinished& finished)
      : queue_(pending.begin(), pending.end()), finished_(finished) {}

  std::int64_t next() {
    const std::lock_guard lock(mutex_);
    if (queue_.empty()) return kNone;
    const std::int64_t item = queue_.front();
    queue_.pop_front();
    return item;
  }
  void record(std::int64_t item, double result) {
    const std::lock_guard lock(mutex_);
    finished_(item, result);
  }

  // The helper thread: answers requests until every other rank has been told to stop, or stop_.
  void serve(int size) {
    try {
      int active = size - 1;
      while (active > 0 && !stop_.load()) {
        int flag = 0;
        MPI_Status status;
        MPI_Iprobe(MPI_ANY_SOURCE, kTagRequest, MPI_COMM_WORLD, &flag, &status);
        if (!flag) {  // a sleeping poll: the helper must not take a core from the computation
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          continue;
        }
        std::int64_t message[2];
        MPI_Recv(message, 2, MPI_INT64_T, status.MPI_SOURCE, kTagRequest, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        if (message[0] != kNone) record(message[0], std::bit_cast<double>(message[1]));
        std::int64_t item = next();
        MPI_Send(&item, 1, MPI_INT64_T, status.MPI_SOURCE, kTagItem, MPI_COMM_WORLD);
        if (item == kNone) --active;
      }
    } catch (...) {
      error_ = std::current_exception();
    }
  }
  void stop() { stop_ = true; }
  std::exception_ptr error() const { return error_; }

 private:
  std::mutex mutex_;
  std::deque<std::int64_t> queue_;
  const ItemFinished& finished_;
  std::atomic<bool> stop_{false};
  std::exception_ptr error_;
};

}  // namespace

bool MpiItemRunner::run(const std::vector<std::int64_t>& pending,
                        const ItemCompute& compute,
                        const ItemFinished& finished) {
  const MpiSession& session = *current_mpi_session();
  if (session.rank() == 0) {
    Dispatcher dispatcher(pending, finished);
    std::thread helper([&] { dispatcher.serve(session.size()); });
    try {
      for (std::int64_t item = dispatcher.next(); item != kNone; item = dispatcher.next())
        dispatcher.record(item, compute(item));
    } catch (...) {
      dispatcher.stop();
      helper.join();
      throw;  // the caller ends the session with MPI_Abort: the other ranks stop too
    }
    helper.join();
    if (dispatcher.error()) std::rethrow_exception(dispatcher.error());
    return true;
  }
  std::int64_t message[2] = {kNone, 0};
  for (;;) {
    MPI_Send(message, 2, MPI_INT64_T, 0, kTagRequest, MPI_COMM_WORLD);
    std::int64_t item = kNone;
    MPI_Recv(&item, 1, MPI_INT64_T, 0, kTagItem, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (item == kNone) return false;
    message[0] = item;
    message[1] = std::bit_cast<std::int64_t>(compute(item));
  }
}

#endif

}  // namespace pcmkit::parallel
