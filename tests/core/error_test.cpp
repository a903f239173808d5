// pcmkit errors (core/error.h): one-line messages and the PCMKIT_CHECK location.
#include "pcmkit/core/error.h"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

namespace pcmkit {
namespace {

TEST_CASE("InputError: what() is \"file: field: problem\"") {
  const InputError e("campaign.h5", "/reads/time_s", "not increasing at index 7");
  CHECK(std::string(e.what()) == "campaign.h5: /reads/time_s: not increasing at index 7");
  CHECK(e.file() == "campaign.h5");
  CHECK(e.field() == "/reads/time_s");
  CHECK(e.problem() == "not increasing at index 7");
  const std::runtime_error& base = e;  // callers may catch std::runtime_error
  CHECK(std::string(base.what()) == e.what());
}

TEST_CASE("InputError: empty parts are left out") {
  CHECK(std::string(InputError("", "--times", "empty list").what()) == "--times: empty list");
  CHECK(std::string(InputError("m.json", "", "not valid JSON").what()) == "m.json: not valid JSON");
  CHECK(std::string(InputError("", "", "bad").what()) == "bad");
}

TEST_CASE("InputError: what() is one line even if the parts hold newlines") {
  const InputError e("dir\nname.json", "a\r\nb", "line 1\nline 2\r");
  const std::string what = e.what();
  CHECK(what.find('\n') == std::string::npos);
  CHECK(what.find('\r') == std::string::npos);
  CHECK(what == "dir name.json: a  b: line 1 line 2 ");
  CHECK(e.file() == "dir\nname.json");  // the parts themselves are kept as given
  CHECK(e.problem() == "line 1\nline 2\r");
}

TEST_CASE("RunError is a runtime_error with the message as given") {
  const RunError e("out.h5: cannot write");
  const std::runtime_error& base = e;
  CHECK(std::string(base.what()) == "out.h5: cannot write");
}

TEST_CASE("PCMKIT_CHECK throws InternalError with file and line, and passes silently") {
  CHECK_NOTHROW(PCMKIT_CHECK(1 + 1 == 2, "arithmetic"));
  const int line = __LINE__ + 2;
  try {
    PCMKIT_CHECK(1 + 1 == 3, "arithmetic broke");
    FAIL("no exception");
  } catch (const InternalError& e) {
    const std::string what = e.what();
    CHECK(what.find("error_test.cpp:" + std::to_string(line)) != std::string::npos);
    CHECK(what.find("arithmetic broke") != std::string::npos);
    CHECK(what.rfind("internal error (", 0) == 0);
  }
  CHECK_THROWS_AS(PCMKIT_CHECK(false, "x"), std::logic_error);
}

}  // namespace
}  // namespace pcmkit
