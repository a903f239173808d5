#include "pcmkit/core/detail/interruption_note.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>

namespace pcmkit {
namespace {

// Two buffers: the handler reads the one published last while the other is being written.
char g_notes[2][512];
std::atomic<int> g_current{-1};  // −1: no note

void write_all(const char* text, std::size_t n) noexcept {
  while (n > 0) {
    const ssize_t w = ::write(STDERR_FILENO, text, n);
    if (w <= 0) return;
    text += w;
    n -= static_cast<std::size_t>(w);
  }
}

}  // namespace

void set_interruption_note(const std::string& line) {
  const int next = g_current.load() == 0 ? 1 : 0;
  const std::size_t n = std::min(line.size(), sizeof g_notes[next] - 1);
  std::memcpy(g_notes[next], line.data(), n);
  g_notes[next][n] = '\0';
  g_current.store(next);
}

void clear_interruption_note() { g_current.store(-1); }

void write_interruption_note(const char* prefix) noexcept {
  const int current = g_current.load();
  if (current < 0) return;
  write_all(prefix, std::strlen(prefix));
  write_all(": ", 2);
  write_all(g_notes[current], std::strlen(g_notes[current]));
  write_all("\n", 1);
}

}  // namespace pcmkit
