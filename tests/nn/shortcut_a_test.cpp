// ShortcutA: F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes//4, planes//4)), zeros on both sides.
#include "pcmkit/nn/shortcut_a.h"

#include <doctest/doctest.h>

#include "nn_test_support.h"

namespace pcmkit::nn {
namespace {

TEST_CASE("ShortcutA subsamples from index 0 and pads planes/4 zero channels on both sides") {
  for (Index side : {32, 7}) {  // even and odd (odd keeps ceil(side/2) rows, as x[::2])
    CAPTURE(side);
    const Tensor input = testing::random_tensor(2, 16, side, side, 3);
    const Tensor out = ShortcutA(32).forward(input);
    const Index half = (side + 1) / 2;
    REQUIRE(out.channels() == 32);
    REQUIRE(out.height() == half);
    REQUIRE(out.width() == half);
    bool ok = true;
    for (Index i = 0; i < 2; ++i)
      for (Index c = 0; c < 32; ++c)
        for (Index y = 0; y < half; ++y)
          for (Index x = 0; x < half; ++x) {
            const float want = (c < 8 || c >= 24) ? 0.0f : input(i, c - 8, 2 * y, 2 * x);
            ok = ok && out(i, c, y, x) == want;
          }
    CHECK(ok);
  }
  const Tensor wide = ShortcutA(64).forward(testing::random_tensor(1, 32, 16, 16, 4));
  CHECK(wide.channels() == 64);
  CHECK(wide(0, 15, 0, 0) == 0.0f);
  CHECK(wide(0, 48, 0, 0) == 0.0f);
  CHECK(wide(0, 16, 0, 0) != 0.0f);
}

}  // namespace
}  // namespace pcmkit::nn
