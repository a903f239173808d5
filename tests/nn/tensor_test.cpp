// Tensor: NCHW layout, image views, and value semantics (a moved-from tensor is empty).
#include "pcmkit/nn/tensor.h"

#include <doctest/doctest.h>

#include "pcmkit/core/error.h"

namespace pcmkit::nn {
namespace {

TEST_CASE("Tensor is zero-filled NCHW with per-image channel x plane views") {
  Tensor t(2, 3, 4, 5);
  CHECK(t.size() == 120);
  CHECK(t.image_size() == 60);
  CHECK(t.values().isZero());
  t(1, 2, 3, 4) = 7.0f;
  CHECK(t.data()[119] == 7.0f);
  CHECK(t.image(1)(2, 19) == 7.0f);
  CHECK(t.rows()(1, 59) == 7.0f);
  CHECK(t.shape_text() == "[2, 3, 4, 5]");
  CHECK_THROWS_AS(Tensor(-1, 1, 1, 1), InternalError);
}

TEST_CASE("Tensor copies deeply and a moved-from tensor is empty") {
  Tensor a(1, 1, 2, 2);
  a(0, 0, 1, 1) = 3.0f;
  Tensor copy = a;
  copy(0, 0, 1, 1) = 4.0f;
  CHECK(a(0, 0, 1, 1) == 3.0f);
  Tensor moved = std::move(a);
  CHECK(moved(0, 0, 1, 1) == 3.0f);
  CHECK(a.n() == 0);  // NOLINT(bugprone-use-after-move): the documented moved-from state
  CHECK(a.size() == 0);
  Tensor target(5, 5, 5, 5);
  target = std::move(moved);
  CHECK(target.shape_text() == "[1, 1, 2, 2]");
  CHECK(moved.shape_text() == "[0, 0, 0, 0]");
}

}  // namespace
}  // namespace pcmkit::nn
