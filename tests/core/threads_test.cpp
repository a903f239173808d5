// set_num_threads / num_threads (core/threads.h).
#include "pcmkit/core/threads.h"

#include <doctest/doctest.h>

namespace pcmkit {
namespace {

TEST_CASE("set_num_threads sets the count — 0 leaves it unchanged") {
  const int before = num_threads();
  CHECK(before >= 1);
  set_num_threads(2);
  CHECK(num_threads() == 2);
  set_num_threads(0);
  CHECK(num_threads() == 2);
  set_num_threads(1);
  CHECK(num_threads() == 1);
  set_num_threads(before);
  CHECK(num_threads() == before);
}

}  // namespace
}  // namespace pcmkit
