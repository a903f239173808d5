// The items a sweep has finished, kept in its output folder as they finish, so that an
// interrupted sweep (Ctrl-C, a killed rank, a lost node) can be resumed without computing any
// item twice. One line per item ("<index> <result as a hex float>", exact), appended and flushed
// to disk as it finishes; the first line names the sweep by a digest of everything its results
// depend on, so a journal of another sweep is never mixed in. A last line cut short by the
// interruption is ignored (that item is computed again).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace pcmkit::experiment {

class SweepJournal {
 public:
  static constexpr const char* kFileName = "sweep.journal";

  // Opens dir/sweep.journal for the sweep named `fingerprint` (no spaces or newlines), creating
  // dir. resume = false: a new journal (InputError naming the file when one exists: the user
  // chooses between --resume and starting again); resume = true: the existing journal's items
  // are finished() (a new journal when there is none).
  // Errors: InputError naming the file when it belongs to another sweep or a line is not an
  //   item of `num_items`; RunError when it cannot be written.
  SweepJournal(const std::filesystem::path& dir,
               const std::string& fingerprint,
               std::int64_t num_items,
               bool resume);
  ~SweepJournal();
  SweepJournal(const SweepJournal&) = delete;
  SweepJournal& operator=(const SweepJournal&) = delete;

  const std::map<std::int64_t, double>& finished() const { return finished_; }
  const std::filesystem::path& path() const { return path_; }
  // Appends one finished item and flushes it to disk. Errors: RunError.
  void record(std::int64_t item, double result);
  // The sweep's outputs are written: the journal goes.
  void remove();

 private:
  std::filesystem::path path_;
  std::map<std::int64_t, double> finished_;
  int fd_ = -1;
};

}  // namespace pcmkit::experiment
