// MaxPool2d, AvgPool2d and GlobalAvgPool2d against naive loops.
#include "pcmkit/nn/pooling.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "nn_test_support.h"
#include "pcmkit/core/error.h"

namespace pcmkit::nn {
namespace {

// A mean of ≤ 64 floats in [−1, 1]: float summation error below 64·2⁻²⁴ ≈ 4e-6.
constexpr double kMeanTolerance = 4e-6;

TEST_CASE("MaxPool2d 3x3/2 pad 1 matches the naive maximum and ignores the padding") {
  for (Index side : {7, 8, 112}) {
    CAPTURE(side);
    Tensor input = testing::random_tensor(2, 3, side, side, 1);
    input.values().array() -= 2.0f;  // all negative: a zero from the padding would show
    MaxPool2d pool(3, 2, 1);
    const Tensor out = pool.forward(input);
    const Index side_out = (side + 2 - 3) / 2 + 1;
    REQUIRE(out.height() == side_out);
    REQUIRE(out.width() == side_out);
    bool all_equal = true;
    for (Index i = 0; i < 2; ++i)
      for (Index c = 0; c < 3; ++c)
        for (Index y = 0; y < side_out; ++y)
          for (Index x = 0; x < side_out; ++x) {
            float m = -std::numeric_limits<float>::infinity();
            for (Index iy = 2 * y - 1; iy <= 2 * y + 1; ++iy)
              for (Index ix = 2 * x - 1; ix <= 2 * x + 1; ++ix)
                if (iy >= 0 && iy < side && ix >= 0 && ix < side)
                  m = std::max(m, input(i, c, iy, ix));
            all_equal = all_equal && out(i, c, y, x) == m;
          }
    CHECK(all_equal);  // a maximum is exact
  }
  CHECK_THROWS_AS(MaxPool2d(3, 2, 2), InternalError);
}

TEST_CASE("AvgPool2d and GlobalAvgPool2d match the naive mean") {
  const Tensor input = testing::random_tensor(2, 4, 8, 8, 2);
  const Tensor avg = AvgPool2d(2, 2).forward(input);
  REQUIRE(avg.height() == 4);
  const Tensor global = GlobalAvgPool2d().forward(input);
  REQUIRE(global.height() == 1);
  REQUIRE(global.width() == 1);
  double worst_avg = 0.0, worst_global = 0.0;
  for (Index i = 0; i < 2; ++i)
    for (Index c = 0; c < 4; ++c) {
      double total = 0.0;
      for (Index y = 0; y < 8; ++y)
        for (Index x = 0; x < 8; ++x) total += input(i, c, y, x);
      worst_global = std::max(worst_global, std::abs(global(i, c, 0, 0) - total / 64.0));
      for (Index y = 0; y < 4; ++y)
        for (Index x = 0; x < 4; ++x) {
          const double mean = (double(input(i, c, 2 * y, 2 * x)) + input(i, c, 2 * y, 2 * x + 1) +
                               input(i, c, 2 * y + 1, 2 * x) + input(i, c, 2 * y + 1, 2 * x + 1)) /
                              4.0;
          worst_avg = std::max(worst_avg, std::abs(avg(i, c, y, x) - mean));
        }
    }
  CHECK(worst_avg < kMeanTolerance);
  CHECK(worst_global < kMeanTolerance);
}

}  // namespace
}  // namespace pcmkit::nn
