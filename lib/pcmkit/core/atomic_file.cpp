#include "pcmkit/core/atomic_file.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <system_error>

#include "pcmkit/core/detail/gnuplot.h"
#include "pcmkit/core/error.h"

namespace pcmkit {
namespace {

// Temporary files being written, for discard_pending_outputs (fixed storage: signal-safe; the
// pages of unused slots are never touched). A slot is claimed, filled, then published as ready:
// the handler reads only ready slots, never a path being copied.
constexpr int kMaxPending = 1024;  // an OutputSet holds a dozen; its figures' links as many again
constexpr std::size_t kMaxPath = 4096;
enum SlotState : int { kFree, kClaimed, kReady };
char pending_paths[kMaxPending][kMaxPath];
std::atomic<int> pending_state[kMaxPending];
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler reads these atomics");

// Errors: RunError when the path is too long or every slot is taken (a signal could not remove
// the file, so it is not written at all).
int register_pending(const std::filesystem::path& tmp) {
  const std::string s = tmp.string();
  if (s.size() >= kMaxPath) throw RunError(s + ": path too long for a temporary file");
  for (int i = 0; i < kMaxPending; ++i) {
    int expected = kFree;
    if (pending_state[i].compare_exchange_strong(expected, kClaimed)) {
      std::memcpy(pending_paths[i], s.c_str(), s.size() + 1);
      pending_state[i].store(kReady);
      return i;
    }
  }
  throw RunError(s + ": more than " + std::to_string(kMaxPending) +
                 " temporary files at once in one run");
}

void unregister_pending(int slot) { pending_state[slot].store(kFree); }

// Child processes writing into pending temporaries, for discard_pending_outputs (0: free).
constexpr int kMaxChildren = 64;
std::atomic<int> pending_children[kMaxChildren];

// > 0: commits in progress; -1: a signal handler is removing the temporaries and will exit.
std::atomic<int> commit_state{0};
// A signal that arrived during a commit, raised again when it ends.
std::atomic<int> deferred_signal{0};

// Marks a commit in progress; never returns when the process is already leaving on a signal
// (the temporaries are gone: renaming what is left would make a mixed set).
void begin_commit() noexcept {
  int state = commit_state.load();
  for (;;) {
    if (state < 0)
      for (;;) ::pause();  // the handler's thread is about to _exit
    if (commit_state.compare_exchange_weak(state, state + 1)) return;
  }
}

void end_commit() noexcept {
  if (commit_state.fetch_sub(1) != 1) return;
  const int signal = deferred_signal.exchange(0);
  if (signal == 0) return;
  // raise() runs the handler here and now, unless this thread blocks the signal: then the
  // process gets it, for a thread that takes it.
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  if (sigismember(&mask, signal) == 1)
    ::kill(::getpid(), signal);
  else
    ::raise(signal);
}

// A file written while a signal handler on another thread was removing the temporaries may have
// been created after its unlink: the writer removes it itself and waits for the exit.
void stop_if_leaving(const std::filesystem::path& written) noexcept {
  if (commit_state.load() >= 0) return;
  ::unlink(written.c_str());
  for (;;) ::pause();
}

}  // namespace

bool discard_pending_outputs(int signal) noexcept {
  // Recorded first: a commit ending between here and the check below still raises it.
  deferred_signal.store(signal);
  int state = commit_state.load();
  for (;;) {
    if (state != 0) return false;  // a commit raises it when done, or another thread is leaving
    if (commit_state.compare_exchange_weak(state, -1)) break;
  }
  // Children first: one still running could write a file after its removal.
  for (std::atomic<int>& child : pending_children)
    if (const int pid = child.load(); pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);  // ECHILD when the thread that spawned it reaped it already
    }
  for (int i = 0; i < kMaxPending; ++i)
    if (pending_state[i].load() == kReady) ::unlink(pending_paths[i]);
  for (int i = 0; i < kMaxPending; ++i)  // scratch folders, now empty
    if (pending_state[i].load() == kReady) ::rmdir(pending_paths[i]);
  return true;
}

PendingChild::PendingChild(int pid) : slot_(-1) {
  for (int i = 0; i < kMaxChildren && slot_ < 0; ++i) {
    int expected = 0;
    if (pending_children[i].compare_exchange_strong(expected, pid)) slot_ = i;
  }
  if (slot_ < 0) throw RunError("more than " + std::to_string(kMaxChildren) + " child processes");
}

PendingChild::~PendingChild() { pending_children[slot_].store(0); }

SignalsWait::SignalsWait() { begin_commit(); }

SignalsWait::~SignalsWait() { end_commit(); }

PendingTemporary::PendingTemporary(const std::filesystem::path& path)
    : slot_(register_pending(path)) {}

PendingTemporary::~PendingTemporary() { unregister_pending(slot_); }

OutputSet::~OutputSet() { discard(); }

void OutputSet::discard() noexcept {
  std::error_code ec;
  for (const Staged& s : staged_) {
    std::filesystem::remove(s.temporary, ec);
    unregister_pending(s.slot);
  }
  staged_.clear();
}

void OutputSet::add(const std::filesystem::path& requested,
                    const std::function<void(const std::filesystem::path&)>& write) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (requested.empty() || !requested.has_filename())
    throw RunError("'" + requested.string() + "': not a file name");
  // A link is followed (the file it names is replaced, not the link).
  const fs::path path =
      fs::is_symlink(requested, ec) ? fs::weakly_canonical(requested, ec) : requested;
  const fs::file_status status = fs::status(path, ec);
  if (fs::is_directory(status)) throw RunError(requested.string() + ": is a directory");
  if (fs::exists(status) && !fs::is_regular_file(status)) {
    write(path);  // /dev/null, a FIFO: written to, never replaced
    return;
  }
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec))
    throw RunError(requested.string() + ": directory " + dir.string() + " does not exist");
  // The same file reached two ways (./a and a, a link) would be staged twice and half-replaced.
  const fs::path resolved = fs::weakly_canonical(fs::absolute(path, ec), ec);
  for (const Staged& s : staged_)
    if (s.resolved == resolved)
      throw RunError(requested.string() + ": written twice by this run (also as " +
                     s.requested.string() + ")");
  std::string tmp_name = ".";  // hidden, and unique per process and set entry
  tmp_name += path.filename().string();
  tmp_name += ".tmp";
  tmp_name += std::to_string(::getpid());
  tmp_name += "." + std::to_string(staged_.size());
  const fs::path tmp = dir / tmp_name;
  const int slot = register_pending(tmp);
  try {
    write(tmp);
  } catch (...) {
    fs::remove(tmp, ec);
    unregister_pending(slot);
    throw;
  }
  stop_if_leaving(tmp);
  staged_.push_back({requested, path, resolved, tmp, slot});
}

void OutputSet::add_text(const std::filesystem::path& path, const std::string& text) {
  add(path, [&](const std::filesystem::path& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    if (!out)
      throw RunError(path.string() + ": cannot open for writing (" + std::strerror(errno) + ")");
    out << text;
    out.close();
    if (!out) throw RunError(path.string() + ": write failed (" + std::strerror(errno) + ")");
  });
}

bool OutputSet::add_figure(const std::filesystem::path& png, const std::string& script) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path dir = png.has_parent_path() ? png.parent_path() : fs::path(".");
  const fs::path dir_resolved = fs::weakly_canonical(fs::absolute(dir, ec), ec);
  bool drawn = false;
  if (have_gnuplot()) {
    // A scratch folder holding the set's files of png's folder under their final names (hard
    // links to the temporaries), where gnuplot runs the script.
    static std::atomic<int> counter{0};
    const fs::path scratch =
        dir / (".pcmkit-figure-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    const PendingTemporary pending_dir(scratch);  // before it exists: a signal may come between
    fs::create_directory(scratch, ec);
    if (ec) throw RunError(scratch.string() + ": cannot create (" + ec.message() + ")");
    stop_if_leaving(scratch);
    std::vector<std::unique_ptr<PendingTemporary>> pending;
    const fs::path output = scratch / png.filename();
    pending.push_back(std::make_unique<PendingTemporary>(output));
    for (const Staged& s : staged_) {
      if (s.resolved.parent_path() != dir_resolved) continue;
      const fs::path link = scratch / s.resolved.filename();
      pending.push_back(std::make_unique<PendingTemporary>(link));
      fs::create_hard_link(s.temporary, link, ec);
      if (ec) fs::copy_file(s.temporary, link, ec);
      stop_if_leaving(link);
    }
    if (run_gnuplot(scratch, script) && fs::is_regular_file(output, ec)) {
      add(png, [&](const fs::path& tmp) {
        fs::rename(output, tmp, ec);
        if (ec) throw RunError(png.string() + ": cannot write (" + ec.message() + ")");
      });
      drawn = true;
    }
    fs::remove_all(scratch, ec);
  }
  if (!drawn) remove_at_commit(png);
  return drawn;
}

void OutputSet::remove_at_commit(const std::filesystem::path& path) { removals_.push_back(path); }

std::vector<std::filesystem::path> OutputSet::commit() {
  // The renames are not interrupted: a signal arriving now, in any thread, is raised again once
  // they are done (the new set whole; see discard_pending_outputs).
  const SignalsWait renames_whole;
  std::vector<std::filesystem::path> committed;
  std::error_code ec;
  for (std::size_t i = 0; i < staged_.size(); ++i) {
    const Staged& s = staged_[i];
    std::filesystem::rename(s.temporary, s.target, ec);
    if (ec) {
      const std::string message = s.requested.string() + ": cannot write (" + ec.message() + ")";
      staged_.erase(staged_.begin(), staged_.begin() + static_cast<std::ptrdiff_t>(i));
      discard();
      throw RunError(message);
    }
    unregister_pending(s.slot);
    committed.push_back(s.requested);
  }
  staged_.clear();
  for (const std::filesystem::path& p : removals_)
    if (std::filesystem::is_regular_file(p, ec)) std::filesystem::remove(p, ec);
  removals_.clear();
  return committed;
}

void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path&)>& write) {
  OutputSet outputs;
  outputs.add(path, write);
  outputs.commit();
}

void require_writable(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  if (path.empty() || !path.has_filename())
    throw RunError("'" + path.string() + "': not a file name");
  if (fs::is_directory(path, ec)) throw RunError(path.string() + ": is a directory");
  if (!fs::is_directory(dir, ec))
    throw RunError(path.string() + ": directory " + dir.string() + " does not exist");
  if (::access(dir.c_str(), W_OK) != 0)
    throw RunError(path.string() + ": directory " + dir.string() + " is not writable");
}

void require_creatable_directory(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path existing = fs::absolute(dir, ec);
  while (!fs::exists(existing, ec) && existing.has_parent_path() &&
         existing != existing.parent_path())
    existing = existing.parent_path();
  if (!fs::is_directory(existing, ec) || ::access(existing.c_str(), W_OK) != 0)
    throw RunError(dir.string() + ": cannot create or write this directory");
}

void require_distinct_paths(const std::filesystem::path& output,
                            const std::string& output_option,
                            const std::filesystem::path& other,
                            const std::string& other_option) {
  namespace fs = std::filesystem;
  if (output.empty() || other.empty()) return;
  std::error_code ec1, ec2;
  const bool same = fs::exists(output, ec1) && fs::exists(other, ec2)
                        ? fs::equivalent(output, other, ec1)
                        : fs::weakly_canonical(output, ec1) == fs::weakly_canonical(other, ec2);
  if (same)
    throw InputError("", output_option,
                     "names the same file as " + other_option + " (" + other.string() + ")");
}

void require_outside_input(const std::filesystem::path& output,
                           const std::string& output_option,
                           const std::filesystem::path& input,
                           const std::string& input_option) {
  namespace fs = std::filesystem;
  if (output.empty() || input.empty()) return;
  std::error_code ec1, ec2;
  const fs::path out = fs::weakly_canonical(fs::absolute(output), ec1);
  const fs::path in = fs::weakly_canonical(fs::absolute(input), ec2);
  if (ec1 || ec2) return;
  const auto [in_end, out_at] = std::mismatch(in.begin(), in.end(), out.begin(), out.end());
  if (in_end != in.end()) return;
  throw InputError("", output_option,
                   "is " + std::string(out == in ? "" : "inside ") + input_option + " (" +
                       input.string() + "): write elsewhere");
}

void write_text_atomically(const std::filesystem::path& path, const std::string& text) {
  OutputSet outputs;
  outputs.add_text(path, text);
  outputs.commit();
}

}  // namespace pcmkit
