// JSON that comes from outside (model files, label lists, checkpoint state): bounded in size and
// nesting, and every parser error, a number beyond double's range included, an InputError that
// names the source.
#pragma once

#include <cstdint>
#include <exception>
#include <filesystem>
#include <string>

namespace pcmkit {

// Our files nest a few levels; deeper text is refused before parsing, since some of nlohmann's
// operations (dump, comparison) recurse once per level and would exhaust the stack.
inline constexpr int kMaxJsonDepth = 128;
inline constexpr std::uintmax_t kMaxJsonFileBytes = std::uintmax_t{64} << 20;

// The text of a JSON file.
// Errors: InputError{file, "", problem} when it is missing or unreadable, not a regular file (a
//   FIFO, a device such as /dev/zero) or larger than kMaxJsonFileBytes.
std::string read_json_file_text(const std::filesystem::path& path);

// Call before parsing: what nlohmann's parser lets through. Errors:
// - InputError{source, "", "not valid JSON (nested deeper than ...)"} for nesting of [ and {
//   deeper than kMaxJsonDepth;
// - InputError{source, "a.b", "duplicate key ..."} for a key given twice in one object (the parser
//   would keep the last silently, so a file could say two things and mean one).
// Syntax errors are left to the parser, whose message is better.
void check_json_structure(const std::string& text, const std::string& source);

// The problem to report for an exception of the JSON parser (nlohmann::json::exception: a syntax
// error, a number beyond double's range): "not valid JSON (parse error at line 1, ...)".
std::string json_parse_problem(const std::exception& e);

}  // namespace pcmkit
