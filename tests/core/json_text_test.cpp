// check_json_structure (core/detail/json_text.h): what the JSON parser would let through, refused
// before parsing and named by field.
#include "pcmkit/core/detail/json_text.h"

#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "pcmkit/core/error.h"

namespace pcmkit {
namespace {

// The InputError check_json_structure throws for text, or nullopt when it accepts it.
std::optional<InputError> refusal(const std::string& text) {
  try {
    check_json_structure(text, "f.json");
  } catch (const InputError& e) {
    return e;
  }
  return std::nullopt;
}

TEST_CASE("a key given twice in one object is refused, naming the path to it") {
  const auto top = refusal(R"({"a": 1, "b": 2, "a": 3})");
  REQUIRE(top);
  CHECK(top->file() == "f.json");
  CHECK(top->field() == "a");
  CHECK(top->problem().find("duplicate key") != std::string::npos);

  const auto nested = refusal(R"({"x": {"y": {"p": 1}, "z": {"p": 1, "q": 2, "p": 1}}})");
  REQUIRE(nested);
  CHECK(nested->field() == "x.z.p");  // even with the same value twice

  // The parser compares decoded keys, and so does the check: "\u0061" is "a".
  const auto escaped = refusal(R"({"a": 1, "\u0061": 2})");
  REQUIRE(escaped);
  CHECK(escaped->field() == "a");

  const auto empty_key = refusal(R"({"": 1, "": 2})");
  REQUIRE(empty_key);
  CHECK(empty_key->field() == "");

  const auto in_array = refusal(R"({"list": [{"k": 1}, {"k": 2, "k": 3}]})");
  REQUIRE(in_array);
  CHECK(in_array->field() == "list[1].k");

  // Indices count every element, scalars and arrays too; nested arrays give one index each.
  const auto deep = refusal(R"([3, [], [0, {"x": [null, {"y": 1, "y": 2}]}]])");
  REQUIRE(deep);
  CHECK(deep->field() == "[2][1].x[1].y");
}

TEST_CASE("the same key in different objects, and valid or broken text without repeats, pass") {
  CHECK_FALSE(refusal(R"({"a": {"c0": 1}, "b": {"c0": 1}, "c0": 2})"));
  CHECK_FALSE(refusal(R"([{"k": 1}, {"k": 2}, {"k": {"k": 3}}])"));
  CHECK_FALSE(refusal(R"({"a": 1, "A": 2, "a ": 3})"));  // keys are case- and space-sensitive
  CHECK_FALSE(refusal(R"([1, 2.5, "s", true, null, {}])"));
  // Syntax errors are the parser's to report, with its line and column.
  CHECK_FALSE(refusal(R"({"a": 1, )"));
  CHECK_FALSE(refusal(""));
  CHECK_FALSE(refusal("[1e309]"));
}

TEST_CASE("nesting deeper than kMaxJsonDepth is refused, at the limit it passes") {
  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  CHECK_FALSE(refusal(nested(kMaxJsonDepth)));
  const auto deep = refusal(nested(kMaxJsonDepth + 1));
  REQUIRE(deep);
  CHECK(deep->problem().find("nested deeper than 128 levels") != std::string::npos);
  // Brackets inside strings do not count.
  CHECK_FALSE(refusal("[\"" + std::string(1000, '{') + "\"]"));
}

}  // namespace
}  // namespace pcmkit
