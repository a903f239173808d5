// split_list, parse_integer_list, parse_duration_s, parse_number_list, parse_duration_list
// (core/value_list.h).
#include "pcmkit/core/value_list.h"

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "pcmkit/core/error.h"

namespace pcmkit {
namespace {

constexpr double kYear_s = 365.25 * 86400;

// The InputError of f(), which must throw one; its field is the option and its file is empty.
template <typename F>
InputError error_of(F f) {
  try {
    f();
  } catch (const InputError& e) {
    return e;
  }
  FAIL("no InputError");
  return InputError("", "", "");
}

TEST_CASE("parse_duration_s: plain seconds and units") {
  CHECK(parse_duration_s("25", "--t") == 25.0);
  CHECK(parse_duration_s("25s", "--t") == 25.0);
  CHECK(parse_duration_s("0.5", "--t") == 0.5);
  CHECK(parse_duration_s("1e3", "--t") == 1000.0);
  CHECK(parse_duration_s("2min", "--t") == 120.0);
  CHECK(parse_duration_s("1.5h", "--t") == 5400.0);
  CHECK(parse_duration_s("30d", "--t") == 30 * 86400.0);
  CHECK(parse_duration_s("1y", "--t") == kYear_s);
  CHECK(parse_duration_s("2y", "--t") == 2 * kYear_s);
}

TEST_CASE("parse_duration_s: bad text is an InputError naming the option") {
  for (const std::string bad :
       {"", "h", "abc", "5x", "5 h", "5hours", "1m", "1.5.2h", "nan", "inf", "1e999"}) {
    CAPTURE(bad);
    const InputError e = error_of([&] { parse_duration_s(bad, "--times"); });
    CHECK(e.field() == "--times");
    CHECK(e.file().empty());
  }
  CHECK(error_of([] { parse_duration_s("5x", "--t"); }).problem().find("unknown time unit") !=
        std::string::npos);
}

TEST_CASE("parse_number_list: explicit values") {
  CHECK(parse_number_list("0,2.5,5", "--g") == std::vector<double>{0, 2.5, 5});
  CHECK(parse_number_list("7", "--g") == std::vector<double>{7});
  CHECK(parse_number_list("-1,1e-3", "--g") == std::vector<double>{-1, 1e-3});
}

TEST_CASE("parse_number_list: lin:FROM:TO:COUNT has exact end points") {
  const std::vector<double> v = parse_number_list("lin:0:25:11", "--g");
  REQUIRE(v.size() == 11);
  CHECK(v.front() == 0.0);
  CHECK(v.back() == 25.0);
  for (std::size_t i = 0; i < v.size(); ++i) CHECK(v[i] == doctest::Approx(2.5 * i));
  const std::vector<double> w = parse_number_list("lin:0.1:0.7:7", "--g");
  CHECK(w.front() == 0.1);
  CHECK(w.back() == 0.7);  // 0.1 + 6·0.1 would not be
  CHECK(parse_number_list("lin:3:9:1", "--g") == std::vector<double>{3});
  CHECK(parse_number_list("lin:5:-5:3", "--g") == std::vector<double>{5, 0, -5});
}

TEST_CASE("parse_duration_list: durations and log:FROM:TO:COUNT") {
  CHECK(parse_duration_list("25,1h,1d", "--t") == std::vector<double>{25, 3600, 86400});
  const std::vector<double> v = parse_duration_list("log:25:1d:20", "--t");
  REQUIRE(v.size() == 20);
  CHECK(v.front() == 25.0);
  CHECK(v.back() == 86400.0);
  const double ratio = std::pow(86400.0 / 25.0, 1.0 / 19);
  for (std::size_t i = 1; i < v.size(); ++i) CHECK(v[i] / v[i - 1] == doctest::Approx(ratio));
  // Both ends exact: exp(log(20)) < 20 would put a read before t0 = 20 s.
  CHECK(parse_duration_list("log:20:1y:10", "--t").front() == 20.0);
  CHECK(parse_duration_list("log:20:1y:10", "--t").back() == kYear_s);
  CHECK(parse_duration_list("log:3:3:1", "--t") == std::vector<double>{3});
  const std::vector<double> lin = parse_duration_list("lin:0:2min:3", "--t");
  CHECK(lin == std::vector<double>{0, 60, 120});
}

TEST_CASE("lists: errors name the option") {
  for (const std::string bad :
       {"1,,2", ",1", "1,", "", ",", "1;2", "a,b", "1,2x", "lin:0:1", "lin:0:1:2:3", "lin:0:1:0",
        "lin:0:1:2.5", "lin:0:1:-1", "lin:0:1:x", "lin:a:1:3", "log:0:1:3", "log:-1:1:3",
        "log:1:0:3", "lin:0:1:1e8"}) {
    CAPTURE(bad);
    const InputError e = error_of([&] { parse_number_list(bad, "--g"); });
    CHECK(e.field() == "--g");
    CHECK(std::string(e.what()).find('\n') == std::string::npos);
  }
  CHECK(error_of([] { parse_number_list("1,,2", "--g"); }).problem().find("empty item") !=
        std::string::npos);
  for (const std::string bad : {"1,,2", "1h,2q", "log:0:1d:3", "log:25:1x:3", "lin:0:1h"}) {
    CAPTURE(bad);
    CHECK(error_of([&] { parse_duration_list(bad, "--t"); }).field() == "--t");
  }
}

TEST_CASE("split_list keeps empty items so that callers can refuse them") {
  CHECK(split_list("").empty());
  CHECK(split_list("a") == std::vector<std::string>{"a"});
  CHECK(split_list("a,,b") == std::vector<std::string>{"a", "", "b"});
  CHECK(split_list("a,") == std::vector<std::string>{"a", ""});
  CHECK(split_list(",a") == std::vector<std::string>{"", "a"});
  CHECK(split_list("1:2:3", ':') == std::vector<std::string>{"1", "2", "3"});
}

TEST_CASE("parse_integer_list reads whole ints and names the option for anything else") {
  CHECK(parse_integer_list("", "--m").empty());
  CHECK(parse_integer_list("100,150", "--m") == std::vector<int>{100, 150});
  CHECK(parse_integer_list("-3", "--m") == std::vector<int>{-3});
  for (const std::string bad : {"1,,2", "1,", "1.5", "a", "1e2", "99999999999", "2 "}) {
    CAPTURE(bad);
    const InputError e = error_of([&] { parse_integer_list(bad, "--m"); });
    CHECK(e.field() == "--m");
    CHECK(e.problem().find("is not an integer") != std::string::npos);
  }
}

}  // namespace
}  // namespace pcmkit
