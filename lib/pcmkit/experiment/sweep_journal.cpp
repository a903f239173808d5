#include "pcmkit/experiment/sweep_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "pcmkit/core/error.h"

namespace pcmkit::experiment {
namespace {

namespace fs = std::filesystem;
constexpr const char* kHeader = "pcmkit-sweep-journal/1 ";

void write_all(int fd, const std::string& text, const fs::path& path) {
  const char* p = text.data();
  std::size_t n = text.size();
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw RunError(path.string() + ": cannot write (" + std::strerror(errno) + ")");
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  if (::fdatasync(fd) != 0)
    throw RunError(path.string() + ": cannot flush (" + std::strerror(errno) + ")");
}

}  // namespace

SweepJournal::SweepJournal(const fs::path& dir,
                           const std::string& fingerprint,
                           std::int64_t num_items,
                           bool resume)
    : path_(dir / kFileName) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) throw RunError(dir.string() + ": cannot create directory");
  const std::string header = kHeader + fingerprint;
  const bool exists = fs::exists(path_, ec);
  if (exists && !resume)
    throw InputError(path_.string(), "",
                     "an unfinished sweep's journal: --resume continues it, or delete it to "
                     "start again");
  std::size_t complete_bytes = 0, file_bytes = 0;  // of whole lines; of the file
  if (exists) {
    std::ifstream in(path_, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.eof() && in.fail()) throw InputError(path_.string(), "", "cannot read the journal");
    std::size_t line_start = 0;
    int line_number = 0;
    while (line_start < text.size()) {
      const std::size_t end = text.find('\n', line_start);
      if (end == std::string::npos) break;  // cut short by the interruption: computed again
      const std::string line = text.substr(line_start, end - line_start);
      line_start = end + 1;
      ++line_number;
      if (line_number == 1) {
        if (line != header)
          throw InputError(path_.string(), "",
                           "the journal of another sweep (other settings, weights or device "
                           "model): delete it, or write to another folder");
        continue;
      }
      std::istringstream fields(line);
      std::int64_t item = -1;
      std::string value_text;
      fields >> item >> value_text;
      char* parse_end = nullptr;
      const double value = std::strtod(value_text.c_str(), &parse_end);
      if (!fields || item < 0 || item >= num_items || value_text.empty() || *parse_end != '\0' ||
          !std::isfinite(value))
        throw InputError(path_.string(), "line " + std::to_string(line_number),
                         "not an item of this sweep: '" + line + "'");
      finished_[item] = value;
    }
    complete_bytes = line_start;
    file_bytes = text.size();
    if (line_number == 0)  // not even the header survived: start again
      fs::remove(path_, ec);
  }
  const bool fresh = !fs::exists(path_, ec);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw RunError(path_.string() + ": cannot write (" + std::strerror(errno) + ")");
  if (fresh) {
    write_all(fd_, header + "\n", path_);
  } else if (complete_bytes < file_bytes &&
             ::ftruncate(fd_, static_cast<off_t>(complete_bytes)) != 0) {
    // A last line cut short goes, so that the next record starts on a line of its own.
    throw RunError(path_.string() + ": cannot repair the last line");
  }
}

SweepJournal::~SweepJournal() {
  if (fd_ >= 0) ::close(fd_);
}

void SweepJournal::record(std::int64_t item, double result) {
  char line[64];
  std::snprintf(line, sizeof line, "%lld %a\n", static_cast<long long>(item), result);
  write_all(fd_, line, path_);
  finished_[item] = result;
}

void SweepJournal::remove() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  std::error_code ec;
  fs::remove(path_, ec);
}

}  // namespace pcmkit::experiment
