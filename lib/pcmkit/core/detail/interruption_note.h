// What an interrupted run tells its user, e.g. "12 of 31 items kept in out/sweep.journal; rerun
// with --resume": set as work is kept, printed by the signal handler (async-signal-safe).
#pragma once

#include <string>

namespace pcmkit {

// Replaces the note (one line, without the newline; cut at 511 bytes). Not for signal handlers.
void set_interruption_note(const std::string& line);
// Clears the note.
void clear_interruption_note();
// Writes "<prefix>: <note>\n" to stderr when a note is set. Async-signal-safe.
void write_interruption_note(const char* prefix) noexcept;

}  // namespace pcmkit
