// weights_to_pair_targets / pair_to_weights: the round trip, the zero device of each pair, the
// end points, and the Requires: lines.
#include "pcmkit/device/differential_pair.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "pcmkit/core/error.h"

namespace pcmkit::device {
namespace {

// Two roundings each way (a multiply by G_max/W_max, then by W_max/G_max): a few ulp.
constexpr double kRoundTripRelTol = 1e-12;

Eigen::ArrayXd awkward_weights(double w_max) {
  const std::vector<double> w = {
      0.0,    -0.0,    w_max,       -w_max,       w_max / 3,    -w_max / 7,
      1e-300, -1e-300, w_max * 0.1, -w_max * 0.9, w_max * 1e-9, std::nextafter(w_max, 0.0)};
  Eigen::ArrayXd out(static_cast<Eigen::Index>(w.size()) + 101);
  for (std::size_t i = 0; i < w.size(); ++i) out[static_cast<Eigen::Index>(i)] = w[i];
  out.tail(101) = Eigen::ArrayXd::LinSpaced(101, -w_max, w_max);
  return out;
}

TEST_CASE("weight -> (G+, G-) -> weight round trip") {
  for (const double w_max : {1.0, 0.3, 0.0123, 7.5}) {
    for (const double g_max_uS : {25.0, 10.0, 0.7}) {
      CAPTURE(w_max);
      CAPTURE(g_max_uS);
      const Eigen::ArrayXd w = awkward_weights(w_max);
      const PairTargets g = weights_to_pair_targets(w, w_max, g_max_uS);
      REQUIRE(g.g_plus_uS.size() == w.size());
      REQUIRE(g.g_minus_uS.size() == w.size());
      const Eigen::ArrayXd back = pair_to_weights(g.g_plus_uS, g.g_minus_uS, w_max, g_max_uS);
      for (Eigen::Index i = 0; i < w.size(); ++i) {
        CAPTURE(w[i]);
        CHECK(std::abs(back[i] - w[i]) <= kRoundTripRelTol * std::abs(w[i]));
        // One device of each pair is at 0 (both for w = 0); neither is negative.
        CHECK((g.g_plus_uS[i] == 0 || g.g_minus_uS[i] == 0));
        CHECK(g.g_plus_uS[i] >= 0);
        CHECK(g.g_minus_uS[i] >= 0);
        CHECK((w[i] > 0) == (g.g_plus_uS[i] > 0));
        CHECK((w[i] < 0) == (g.g_minus_uS[i] > 0));
        CHECK(g.g_plus_uS[i] <= g_max_uS);
        CHECK(g.g_minus_uS[i] <= g_max_uS);
      }
    }
  }
}

TEST_CASE("|w| = w_max maps to G_max — w = 0 maps to (0, 0)") {
  for (const double w_max : {1.0, 0.3, 0.0123, 7.5}) {
    for (const double g_max_uS : {25.0, 10.0, 0.7}) {
      CAPTURE(w_max);
      CAPTURE(g_max_uS);
      Eigen::ArrayXd w(3);
      w << w_max, -w_max, 0.0;
      const PairTargets g = weights_to_pair_targets(w, w_max, g_max_uS);
      // Exact, not just close: a target above G_max would leave the model's range x <= 1.
      CHECK(g.g_plus_uS[0] == g_max_uS);
      CHECK(g.g_minus_uS[0] == 0.0);
      CHECK(g.g_plus_uS[1] == 0.0);
      CHECK(g.g_minus_uS[1] == g_max_uS);
      CHECK(g.g_plus_uS[2] == 0.0);
      CHECK(g.g_minus_uS[2] == 0.0);
      const Eigen::ArrayXd back = pair_to_weights(g.g_plus_uS, g.g_minus_uS, w_max, g_max_uS);
      CHECK(back[0] == w_max);
      CHECK(back[1] == -w_max);
      CHECK(back[2] == 0.0);
    }
  }
}

TEST_CASE("empty and single-weight inputs") {
  const PairTargets none = weights_to_pair_targets(Eigen::ArrayXd(0), 1.0, 25.0);
  CHECK(none.g_plus_uS.size() == 0);
  CHECK(pair_to_weights(none.g_plus_uS, none.g_minus_uS, 1.0, 25.0).size() == 0);
  const PairTargets one = weights_to_pair_targets(Eigen::ArrayXd::Constant(1, -0.5), 1.0, 25.0);
  CHECK(one.g_minus_uS[0] == 12.5);
  CHECK(pair_to_weights(one.g_plus_uS, one.g_minus_uS, 1.0, 25.0)[0] == -0.5);
}

TEST_CASE("bad arguments throw InternalError") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Eigen::ArrayXd w = Eigen::ArrayXd::LinSpaced(5, -1.0, 1.0);
  CHECK_THROWS_AS(weights_to_pair_targets(w, 0.0, 25.0), InternalError);
  CHECK_THROWS_AS(weights_to_pair_targets(w, -1.0, 25.0), InternalError);
  CHECK_THROWS_AS(weights_to_pair_targets(w, nan, 25.0), InternalError);
  CHECK_THROWS_AS(weights_to_pair_targets(w, 1.0, 0.0), InternalError);
  CHECK_THROWS_AS(weights_to_pair_targets(w, 1.0, -25.0), InternalError);
  CHECK_THROWS_AS(weights_to_pair_targets(w, 1.0, nan), InternalError);
  CHECK_THROWS_AS(weights_to_pair_targets(w, std::nextafter(1.0, 0.0), 25.0), InternalError);
  Eigen::ArrayXd w_nan = w;
  w_nan[2] = nan;
  CHECK_THROWS_AS(weights_to_pair_targets(w_nan, 1.0, 25.0), InternalError);

  const Eigen::ArrayXd g = Eigen::ArrayXd::Constant(5, 1.0);
  CHECK_THROWS_AS(pair_to_weights(g, g.head(4), 1.0, 25.0), InternalError);
  CHECK_THROWS_AS(pair_to_weights(g, g, 0.0, 25.0), InternalError);
  CHECK_THROWS_AS(pair_to_weights(g, g, 1.0, -1.0), InternalError);
  CHECK_THROWS_AS(pair_to_weights(g, g, nan, 25.0), InternalError);
  try {
    weights_to_pair_targets(w, 0.5, 25.0);
    FAIL("no exception");
  } catch (const InternalError& e) {
    CHECK(std::string(e.what()).find("differential_pair.cpp") != std::string::npos);
  }
}

}  // namespace
}  // namespace pcmkit::device
