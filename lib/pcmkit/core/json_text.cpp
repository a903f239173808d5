#include "pcmkit/core/json_text.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>

#include "pcmkit/core/error.h"

namespace pcmkit {
namespace {

// The deepest nesting of [ and { outside strings.
int nesting_depth(const std::string& text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

std::string read_json_file_text(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  const std::string name = path.string();
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) throw InputError(name, "", "no such file");
  if (!fs::is_regular_file(status)) throw InputError(name, "", "not a regular file");
  const std::uintmax_t size = fs::file_size(path, ec);
  if (!ec && size > kMaxJsonFileBytes)
    throw InputError(name, "",
                     std::to_string(size) + " bytes: larger than any JSON file pcmkit reads (" +
                         std::to_string(kMaxJsonFileBytes) + ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(name, "", "cannot open (not readable)");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(name, "", "read failed");
  return text.str();
}

void check_json_nesting(const std::string& text, const std::string& source) {
  if (nesting_depth(text) > kMaxJsonDepth)
    throw InputError(
        source, "",
        "not valid JSON (nested deeper than " + std::to_string(kMaxJsonDepth) + " levels)");
}

std::string json_parse_problem(const std::exception& e) {
  // "[json.exception.parse_error.101] parse error at line 1, ...": keep what follows the tag.
  std::string what = e.what();
  const auto bracket = what.find("] ");
  if (what.rfind("[json.exception.", 0) == 0 && bracket != std::string::npos)
    what = what.substr(bracket + 2);
  return "not valid JSON (" + what + ")";
}

}  // namespace pcmkit
