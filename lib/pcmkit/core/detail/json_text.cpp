#include "pcmkit/core/detail/json_text.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <vector>

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

// A SAX handler that finds the first key repeated within one object; it builds no document.
class DuplicateKeyFinder : public nlohmann::json_sax<nlohmann::json> {
 public:
  bool null() override { return element(); }
  bool boolean(bool) override { return element(); }
  bool number_integer(number_integer_t) override { return element(); }
  bool number_unsigned(number_unsigned_t) override { return element(); }
  bool number_float(number_float_t, const string_t&) override { return element(); }
  bool string(string_t&) override { return element(); }
  bool binary(binary_t&) override { return element(); }
  bool start_object(std::size_t) override {
    element();
    scopes_.push_back({true, {}, "", 0});
    return true;
  }
  bool key(string_t& name) override {
    Scope& scope = scopes_.back();
    scope.key = name;
    if (!scope.keys.insert(name).second) {
      duplicate_ = field_path();  // "" for a repeated empty key at the top
      return false;               // stop: one is enough
    }
    return true;
  }
  bool end_object() override {
    scopes_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    element();
    scopes_.push_back({false, {}, "", 0});
    return true;
  }
  bool end_array() override {
    scopes_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::json::exception&) override {
    return false;  // the parser proper reports it
  }

  // "drift_exponent.a0", "levels[3].g": the keys and array indices from the top down to the
  // repeated key; nullopt when none.
  const std::optional<std::string>& duplicate() const { return duplicate_; }

 private:
  struct Scope {
    bool is_object;
    std::set<std::string> keys;
    std::string key;           // in an object: the current key
    std::size_t elements = 0;  // in an array: the elements begun so far
  };
  bool element() {  // a value begins: in an array, it is the next element
    if (!scopes_.empty() && !scopes_.back().is_object) ++scopes_.back().elements;
    return true;
  }
  std::string field_path() const {
    std::string path;
    for (const Scope& scope : scopes_)
      if (scope.is_object)
        path += (path.empty() ? "" : ".") + scope.key;
      else if (scope.elements > 0)
        path += "[" + std::to_string(scope.elements - 1) + "]";
    return path;
  }
  std::vector<Scope> scopes_;
  std::optional<std::string> duplicate_;
};

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

void check_json_structure(const std::string& text, const std::string& source) {
  if (nesting_depth(text) > kMaxJsonDepth)
    throw InputError(
        source, "",
        "not valid JSON (nested deeper than " + std::to_string(kMaxJsonDepth) + " levels)");
  DuplicateKeyFinder finder;
  nlohmann::json::sax_parse(text, &finder);
  if (finder.duplicate())
    throw InputError(source, *finder.duplicate(),
                     "duplicate key (each key may appear once in an object)");
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
