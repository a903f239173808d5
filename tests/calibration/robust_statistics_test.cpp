// robust_location (robust_statistics.h): median and 1.4826·MAD on hand-computed data, the
// within() rule, and the normal-consistency of the scale on a large sample.
#include "pcmkit/calibration/detail/robust_statistics.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "pcmkit/core/error.h"
#include "pcmkit/core/random_stream.h"

namespace pcmkit::calibration {
namespace {

constexpr double kMadToSigma = 1.4826;  // the constant the header documents
// Hand-computed answers are sums and products of a few small numbers: a few ulp at most.
constexpr double kExactTol = 1e-12;

TEST_CASE("odd size: the middle value, and the median of the absolute deviations") {
  // sorted 1 1 3 4 5 -> median 3; |v - 3| = 0 1 2 2 2 sorted -> MAD 2.
  const RobustLocation r = robust_location({3, 1, 4, 1, 5});
  CHECK(r.median == 3.0);
  CHECK(std::abs(r.scale - kMadToSigma * 2.0) <= kExactTol);
}

TEST_CASE("even size: the mean of the two middle values, for the median and for the MAD") {
  // sorted 1 2 3 10 -> median 2.5; |v - 2.5| = 1.5 0.5 0.5 7.5 sorted 0.5 0.5 1.5 7.5 -> MAD 1.
  const RobustLocation r = robust_location({10, 2, 3, 1});
  CHECK(r.median == 2.5);
  CHECK(std::abs(r.scale - kMadToSigma * 1.0) <= kExactTol);
  // Two values: median halfway, MAD = half the distance.
  const RobustLocation two = robust_location({-1, 3});
  CHECK(two.median == 1.0);
  CHECK(std::abs(two.scale - kMadToSigma * 2.0) <= kExactTol);
}

TEST_CASE("one outlier moves neither the median nor the scale much") {
  // 1 2 3 4 1e9: median 3; deviations 2 1 0 1 ~1e9 -> sorted 0 1 1 2 1e9 -> MAD 1.
  const RobustLocation r = robust_location({1, 2, 3, 4, 1e9});
  CHECK(r.median == 3.0);
  CHECK(std::abs(r.scale - kMadToSigma) <= kExactTol);
  CHECK_FALSE(r.within(1e9, 6.0));
}

TEST_CASE("one value, or all equal: scale 0 and everything is within") {
  const RobustLocation one = robust_location({7.5});
  CHECK(one.median == 7.5);
  CHECK(one.scale == 0.0);
  CHECK(one.within(1e300, 1.0));
  const RobustLocation same = robust_location({2, 2, 2, 2});
  CHECK(same.median == 2.0);
  CHECK(same.scale == 0.0);
  CHECK(same.within(-5, 0.5));
}

TEST_CASE("within: |v - median| <= k * scale, boundary included") {
  RobustLocation r;
  r.median = 10.0;
  r.scale = 2.0;
  CHECK(r.within(10.0, 3.0));
  CHECK(r.within(16.0, 3.0));  // exactly k * scale above
  CHECK(r.within(4.0, 3.0));   // exactly k * scale below
  CHECK_FALSE(r.within(16.0 + 1e-9, 3.0));
  CHECK_FALSE(r.within(4.0 - 1e-9, 3.0));
  CHECK_FALSE(r.within(std::nan(""), 3.0));  // NaN is never within a finite band
}

TEST_CASE("normal sample: median -> mu and 1.4826 MAD -> sigma") {
  // N = 200,001 draws of N(5, 2^2), fixed seed. Asymptotic standard deviations:
  // median sqrt(pi/2) sigma / sqrt(N) = 0.0056, 1.4826 MAD 1.166 sigma / sqrt(N) = 0.0052.
  // Tolerance 5 of those.
  constexpr int kN = 200001;
  constexpr double kMu = 5.0, kSigma = 2.0, kSigmas = 5.0;
  const CounterRng rng(42, RandomStream::kUser);
  std::vector<double> v;
  v.reserve(kN);
  for (int i = 0; i < kN; ++i)
    v.push_back(kMu + kSigma * rng.normal(static_cast<std::uint64_t>(i), 0));
  const RobustLocation r = robust_location(v);
  const double n = static_cast<double>(kN);
  CHECK(std::abs(r.median - kMu) <=
        kSigmas * std::sqrt(std::numbers::pi / 2) * kSigma / std::sqrt(n));
  CHECK(std::abs(r.scale - kSigma) <= kSigmas * 1.166 * kSigma / std::sqrt(n));
}

TEST_CASE("Requires: no values is an InternalError") {
  CHECK_THROWS_AS(robust_location({}), InternalError);
}

}  // namespace
}  // namespace pcmkit::calibration
