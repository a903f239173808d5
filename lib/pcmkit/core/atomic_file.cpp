#include "pcmkit/core/atomic_file.h"

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <system_error>

#include "pcmkit/core/error.h"

namespace pcmkit {
namespace {

// Temporary files being written, for remove_pending_temporaries (fixed storage: signal-safe).
constexpr int kMaxPending = 16;
constexpr std::size_t kMaxPath = 4096;
char pending_paths[kMaxPending][kMaxPath];
std::atomic<bool> pending_used[kMaxPending];

int register_pending(const std::filesystem::path& tmp) {
  const std::string s = tmp.string();
  if (s.size() >= kMaxPath) return -1;
  for (int i = 0; i < kMaxPending; ++i) {
    bool expected = false;
    if (pending_used[i].compare_exchange_strong(expected, true)) {
      std::memcpy(pending_paths[i], s.c_str(), s.size() + 1);
      return i;
    }
  }
  return -1;
}

void unregister_pending(int slot) {
  if (slot >= 0) pending_used[slot].store(false);
}

}  // namespace

void remove_pending_temporaries() noexcept {
  for (int i = 0; i < kMaxPending; ++i)
    if (pending_used[i].load()) ::unlink(pending_paths[i]);
}

void write_atomically(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path&)>& write) {
  namespace fs = std::filesystem;
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw RunError(path.string() + ": directory " + dir.string() + " does not exist");
  std::string tmp_name = ".";  // hidden, and unique per process
  tmp_name += path.filename().string();
  tmp_name += ".tmp";
  tmp_name += std::to_string(::getpid());
  const fs::path tmp = dir / tmp_name;
  const int slot = register_pending(tmp);
  try {
    write(tmp);
  } catch (...) {
    fs::remove(tmp, ec);
    unregister_pending(slot);
    throw;
  }
  fs::rename(tmp, path, ec);
  unregister_pending(slot);
  if (ec) {
    fs::remove(tmp, ec);
    throw RunError(path.string() + ": cannot write (" + ec.message() + ")");
  }
}

void require_writable(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
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

void write_text_atomically(const std::filesystem::path& path, const std::string& text) {
  write_atomically(path, [&](const std::filesystem::path& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw RunError(path.string() + ": cannot open for writing");
    out << text;
    out.close();
    if (!out) throw RunError(path.string() + ": write failed");
  });
}

}  // namespace pcmkit
