// Tensor: NCHW layout, image views, value semantics (a moved-from tensor is empty), parallel_copy.
#include "pcmkit/nn/tensor.h"

#include <doctest/doctest.h>
#include <omp.h>

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

TEST_CASE("parallel_copy copies every value and the shape, whatever the thread count") {
  // 3 x 5 x 61 x 67 = 61,305 values: several 16,384-value blocks and a partial one.
  Tensor source = Tensor::uninitialized(3, 5, 61, 67);
  for (Index k = 0; k < source.size(); ++k) source.data()[k] = static_cast<float>(k) * 0.5f - 7.0f;
  const int threads = omp_get_max_threads();
  for (const int t : {1, 2, 3}) {
    omp_set_num_threads(t);
    const Tensor copy = parallel_copy(source);
    CHECK(copy.same_shape(source));
    CHECK(copy.data() != source.data());
    CHECK(copy.values() == source.values());
  }
  omp_set_num_threads(threads);
  CHECK(parallel_copy(Tensor()).size() == 0);
}

}  // namespace
}  // namespace pcmkit::nn
