// Write-then-rename output files, so that a failed run never leaves a half-written file behind.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace pcmkit {

// Calls write(temporary_path) and renames the temporary file onto `path` when it returns.
// The temporary file sits in the target's directory (same file system, so rename is atomic).
// Errors: RunError when the directory is missing or not writable, or the rename fails.
//   Any exception from `write` removes the temporary file and propagates unchanged.
void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path&)>& write);

// Output files that replace their targets together or not at all. Each add() writes its file now,
// to a temporary beside the target; commit() renames them all into place. A set destroyed before
// commit() (a later add() threw, the run failed) removes its temporaries and leaves every target
// as it was, so a failed run never leaves new files mixed with old ones. Targets that are devices
// or FIFOs (/dev/null) are written to at add() and not part of the rollback. Renames within a
// directory do not fail in practice; if one does at commit(), the files before it stay replaced.
class OutputSet {
 public:
  OutputSet() = default;
  ~OutputSet();
  OutputSet(const OutputSet&) = delete;
  OutputSet& operator=(const OutputSet&) = delete;

  // Calls write(temporary_path); `path` is replaced at commit(). A link is followed: the file it
  // names is replaced. Errors: RunError when path is not a file name, is a directory, its
  // directory is missing, or it names a file already in the set (compared after resolving links,
  // "." and ".."), or 1024 temporaries are pending in the process; any exception from `write`
  // propagates (its temporary removed).
  void add(const std::filesystem::path& path,
           const std::function<void(const std::filesystem::path&)>& write);
  void add_text(const std::filesystem::path& path, const std::string& text);

  // Draws `png` with gnuplot from `script`, a file name in png's folder that this set already
  // holds, reading the set's files of that folder under their final names; the figure then
  // belongs to the set. Returns false when gnuplot is missing or fails: commit() then removes
  // an earlier `png` (a figure of older data must not stand beside this run's).
  bool add_figure(const std::filesystem::path& png, const std::string& script);
  // A file commit() removes (an earlier run's output that this run does not replace).
  void remove_at_commit(const std::filesystem::path& path);

  // Renames every file into place, in the order added, then makes the removals; returns the
  // paths as given to add(). A signal whose handler calls discard_pending_outputs waits until
  // the renames are done, so that an interrupted run leaves the earlier set or the whole new one.
  // Errors: RunError when a rename fails (those before it stay done, the rest are removed).
  std::vector<std::filesystem::path> commit();

 private:
  void discard() noexcept;  // removes the temporaries not yet renamed
  struct Staged {
    std::filesystem::path requested, target, resolved, temporary;
    int slot;
  };
  std::vector<Staged> staged_;
  std::vector<std::filesystem::path> removals_;
};

// Checks, before long work, that `path` could be written: its directory exists and is writable.
// Errors: RunError naming the path.
void require_writable(const std::filesystem::path& path);

// Checks that directory `dir` exists and is writable, or could be created (its nearest existing
// ancestor is a writable directory). Errors: RunError naming dir.
void require_creatable_directory(const std::filesystem::path& dir);

// Checks that an output does not name the same file as an input (or another output), which the
// run would overwrite. Paths are compared after resolving links, ".." and the working directory.
// Errors: InputError{"", output_option, "names the same file as <other_option> (<other>)"}.
void require_distinct_paths(const std::filesystem::path& output,
                            const std::string& output_option,
                            const std::filesystem::path& other,
                            const std::string& other_option);

// Checks that an output (file or folder) is not an input folder or file, nor inside an input
// folder: a run must not write into its own data set. Paths are compared after resolving links,
// ".." and the working directory; an empty input is skipped.
// Errors: InputError{"", output_option, "is [inside] <input_option> (<input>): ..."}.
void require_outside_input(const std::filesystem::path& output,
                           const std::string& output_option,
                           const std::filesystem::path& input,
                           const std::string& input_option);

// For a signal handler that ends the process, so that an interrupted run leaves the earlier set
// or the whole new one and nothing half-written. When no OutputSet is committing, removes the
// temporary files (and scratch folders) of writes in progress and returns true: the handler may
// exit. When one is committing, in whichever thread (a process-directed signal may land on any
// thread that does not block it), returns false and raises `signal` again in the committing
// thread once the commit has ended; false too when another thread is already on its way out.
// A caller that gets true must end the process (_exit): commits and writes from then on wait
// for that exit. Async-signal-safe.
bool discard_pending_outputs(int signal) noexcept;

// While one lives, a signal whose handler calls discard_pending_outputs waits, as during a
// commit, and is raised again when the last such scope or commit ends: for the steps that must go
// with a commit (removing a journal the new files replace, clearing a note that points to it).
// Keep the scope short: Ctrl-C waits for it.
class SignalsWait {
 public:
  SignalsWait();
  ~SignalsWait();
  SignalsWait(const SignalsWait&) = delete;
  SignalsWait& operator=(const SignalsWait&) = delete;
};

// A child process writing into pending temporaries (gnuplot drawing a figure): while this
// object lives, discard_pending_outputs kills it (SIGKILL) and reaps it before removing them, so
// that it cannot write after the removal. Construct it in the SignalsWait scope that spawns the
// child, so that no signal falls between the two. Errors: RunError when 64 are registered
// already (the caller then stops the child itself).
class PendingChild {
 public:
  explicit PendingChild(int pid);
  ~PendingChild();
  PendingChild(const PendingChild&) = delete;
  PendingChild& operator=(const PendingChild&) = delete;

 private:
  int slot_;
};

// A temporary file written by someone else (e.g. a child process) that Ctrl-C should remove:
// registered for discard_pending_outputs while this object lives. Errors: RunError when the path
// is longer than 4095 bytes or 1024 temporaries are registered already.
class PendingTemporary {
 public:
  explicit PendingTemporary(const std::filesystem::path& path);
  ~PendingTemporary();
  PendingTemporary(const PendingTemporary&) = delete;
  PendingTemporary& operator=(const PendingTemporary&) = delete;

 private:
  int slot_;
};

// Writes `text` to `path` atomically. Errors: as write_atomically.
void write_text_atomically(const std::filesystem::path& path, const std::string& text);

}  // namespace pcmkit
