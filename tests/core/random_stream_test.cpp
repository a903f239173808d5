// CounterRng (core/random_stream.h): distributions, independence of streams and seeds,
// reproducibility, and Random123's published Philox4x32-10 known answers.
#include "pcmkit/core/random_stream.h"

#include <doctest/doctest.h>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

namespace pcmkit {
namespace {

constexpr int kN = 200000;
constexpr double kSigmas = 5.0;           // tolerance multiple of mean/variance/correlation checks
constexpr double kChiSquareAlpha = 1e-6;  // false-alarm rate of the chi-square tests
constexpr int kBins = 20;
constexpr std::uint64_t kSeed = 0x5eed5eed12345678ull;

// Pearson chi-square over kBins equiprobable bins given by `edges` (kBins + 1 values, the
// outer ones ±inf or the support's ends), tested at kChiSquareAlpha.
void check_equiprobable(const std::vector<double>& x, const std::vector<double>& edges) {
  std::vector<double> count(kBins, 0.0);
  for (const double v : x) {
    int k = 0;
    while (k + 1 < kBins && v >= edges[static_cast<std::size_t>(k) + 1]) ++k;
    count[static_cast<std::size_t>(k)] += 1;
  }
  const double expected = static_cast<double>(x.size()) / kBins;
  double chi2 = 0;
  for (const double c : count) chi2 += (c - expected) * (c - expected) / expected;
  const boost::math::chi_squared_distribution<double> dist(kBins - 1);
  const double limit = boost::math::quantile(boost::math::complement(dist, kChiSquareAlpha));
  INFO("chi2 = " << chi2 << ", limit = " << limit);
  CHECK(chi2 < limit);
}

double mean(const std::vector<double>& x) {
  double s = 0;
  for (const double v : x) s += v;
  return s / static_cast<double>(x.size());
}

double variance(const std::vector<double>& x) {
  const double m = mean(x);
  double s = 0;
  for (const double v : x) s += (v - m) * (v - m);
  return s / static_cast<double>(x.size() - 1);
}

double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const double ma = mean(a), mb = mean(b);
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

// kN normal draws, walking items and draws (both halves of each Philox block).
std::vector<double> normals(const CounterRng& rng, std::uint64_t first_item = 0) {
  std::vector<double> x(kN);
  for (int i = 0; i < kN; ++i) x[i] = rng.normal(first_item + i / 4, i % 4);
  return x;
}

TEST_CASE("normal() is standard normal") {
  // N = 200000: mean and variance at 5 standard errors (1/sqrt(N), sqrt(2/N)); chi-square over
  // 20 equiprobable bins at Boost's normal quantiles, alpha = 1e-6.
  const std::vector<double> x = normals(CounterRng(kSeed, RandomStream::kProgramming));
  CHECK(std::abs(mean(x)) <= kSigmas / std::sqrt(kN));
  CHECK(std::abs(variance(x) - 1) <= kSigmas * std::sqrt(2.0 / kN));
  const boost::math::normal_distribution<double> z;
  std::vector<double> edges = {-INFINITY};
  for (int k = 1; k < kBins; ++k) edges.push_back(boost::math::quantile(z, double(k) / kBins));
  edges.push_back(INFINITY);
  check_equiprobable(x, edges);
  for (const double v : x) REQUIRE(std::isfinite(v));
}

TEST_CASE("uniform() is uniform in (0, 1)") {
  // N = 200000: mean at 5 standard errors (sqrt(1/12/N)); chi-square over 20 bins, alpha = 1e-6.
  const CounterRng rng(kSeed, RandomStream::kNonConverged);
  std::vector<double> u(kN);
  for (int i = 0; i < kN; ++i) u[i] = rng.uniform(i / 3, i % 3);
  double lo = 1, hi = 0;
  for (const double v : u) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  CHECK(lo > 0);
  CHECK(hi < 1);
  CHECK(std::abs(mean(u) - 0.5) <= kSigmas * std::sqrt(1.0 / 12 / kN));
  std::vector<double> edges;
  for (int k = 0; k <= kBins; ++k) edges.push_back(double(k) / kBins);
  check_equiprobable(u, edges);
}

TEST_CASE("streams, seeds, items and draws give independent numbers") {
  // N = 200000 pairs: |correlation| at 5 standard errors (1/sqrt(N)), and no equal values.
  const double limit = kSigmas / std::sqrt(kN);
  const std::vector<double> base = normals(CounterRng(kSeed, RandomStream::kProgramming));
  const std::vector<std::vector<double>> others = {
      normals(CounterRng(kSeed, RandomStream::kDriftExponent)),
      normals(CounterRng(kSeed, RandomStream::kRead)),
      normals(CounterRng(kSeed, RandomStream::kUser)),
      normals(CounterRng(kSeed + 1, RandomStream::kProgramming)),
      normals(CounterRng(kSeed ^ (1ull << 40), RandomStream::kProgramming)),  // high key word
      normals(CounterRng(kSeed, RandomStream::kProgramming), 1ull << 32),     // high item word
  };
  for (std::size_t k = 0; k < others.size(); ++k) {
    CAPTURE(k);
    CHECK(std::abs(correlation(base, others[k])) <= limit);
    int equal = 0;
    for (int i = 0; i < kN; ++i) equal += base[i] == others[k][i];
    CHECK(equal == 0);
  }
  // The two halves of one Box-Muller pair, far-apart draws, and uniform vs normal.
  const CounterRng rng(kSeed, RandomStream::kRead);
  std::vector<double> d0(kN), d1(kN), d_far(kN), u(kN);
  const boost::math::normal_distribution<double> z;
  for (int i = 0; i < kN; ++i) {
    d0[i] = rng.normal(i, 0);
    d1[i] = rng.normal(i, 1);
    d_far[i] = rng.normal(i, 1ull << 33);  // block index above 32 bits
    u[i] = boost::math::quantile(z, rng.uniform(i, 0));
  }
  CHECK(std::abs(correlation(d0, d1)) <= limit);
  CHECK(std::abs(correlation(d0, d_far)) <= limit);
  CHECK(std::abs(correlation(d0, u)) <= limit);
  CHECK(std::abs(correlation(d0, d0) - 1) < 1e-12);
}

TEST_CASE("the same (seed, stream, item, draw) gives the same number") {
  const CounterRng a(kSeed, RandomStream::kTrace), b(kSeed, RandomStream::kTrace);
  const std::uint64_t items[] = {0, 1, 12345, 1ull << 32, ~0ull};
  const std::uint64_t draws[] = {0, 1, 2, 7, 1ull << 40};
  std::vector<double> forward;
  for (const auto item : items)
    for (const auto draw : draws) forward.push_back(a.normal(item, draw));
  std::size_t k = forward.size();
  for (int i = 4; i >= 0; --i)  // another object, reverse order
    for (int j = 4; j >= 0; --j) CHECK(b.normal(items[i], draws[j]) == forward[--k]);
  CHECK(a.uniform(99, 3) == b.uniform(99, 3));
  const CounterRng copy = a;
  CHECK(copy.normal(5, 5) == a.normal(5, 5));
}

// Random123 tests/kat_vectors, "philox4x32 10" lines (counter, key -> result):
//   00000000 00000000 00000000 00000000  00000000 00000000 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8
//   ffffffff ffffffff ffffffff ffffffff  ffffffff ffffffff -> 408f276d 41c83b0e a20bc7c6 6d5451fd
//   243f6a88 85a308d3 13198a2e 03707344  a4093822 299f31d0 -> d16cfe09 94fdcceb 5001e420 24126ea1
// random_stream.cpp lays the counter out as (item lo, item hi, block lo, block hi 16 bits |
// stream << 16) with block = draw / 2, and the key as (seed lo, seed hi); the normal pair is
// Box-Muller on (r1:r0, r3:r2). Pinning this keeps every seeded result reproducible.
struct Kat {
  std::uint64_t seed, item, block;
  std::uint32_t stream;
  std::uint32_t r[4];
};

// Box-Muller as in Random123's boxmuller.hpp, written out with std:: functions.
void expected_pair(const std::uint32_t r[4], double* z0, double* z1) {
  const std::uint64_t u0 = (std::uint64_t{r[1]} << 32) | r[0];
  const std::uint64_t u1 = (std::uint64_t{r[3]} << 32) | r[2];
  const double angle = static_cast<double>(static_cast<std::int64_t>(u0)) * 0x1p-63 + 0x1p-64;
  const double radius = std::sqrt(-2 * std::log(static_cast<double>(u1) * 0x1p-64 + 0x1p-65));
  *z0 = std::sin(std::numbers::pi * angle) * radius;
  *z1 = std::cos(std::numbers::pi * angle) * radius;
}

TEST_CASE("normal() matches Random123's Philox4x32-10 known answers") {
  const Kat kats[] = {
      {0, 0, 0, 0, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {~0ull, ~0ull, (1ull << 48) - 1, 0xffff, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {0x299f31d0a4093822ull,
       0x85a308d3243f6a88ull,
       0x734413198a2eull,
       0x0370,
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Kat& k : kats) {
    CAPTURE(k.seed);
    const CounterRng rng(k.seed, static_cast<RandomStream>(k.stream));
    double z0, z1;
    expected_pair(k.r, &z0, &z1);
    CHECK(rng.normal(k.item, 2 * k.block) == doctest::Approx(z0).epsilon(1e-12));
    CHECK(rng.normal(k.item, 2 * k.block + 1) == doctest::Approx(z1).epsilon(1e-12));
  }
}

}  // namespace
}  // namespace pcmkit
