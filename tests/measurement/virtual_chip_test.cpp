// The virtual test chip (virtual_chip.h): shapes and defaults, the non-converged devices, the
// noise traces, option validation that names the option, and reproducibility (seed, threads).
// Statistical checks use fixed seeds; each states N and the σ multiple of its tolerance.
#include "pcmkit/measurement/virtual_chip.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "pcmkit/core/error.h"
#include "pcmkit/core/threads.h"

namespace pcmkit::measurement {
namespace {

constexpr std::uint64_t kSeed = 20200601;
// Values computed twice along different float paths (exp vs pow, a ν derived from two reads).
constexpr double kRelTol = 1e-9;

template <typename A, typename B>
bool same_bits(const A& a, const B& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(double) * static_cast<std::size_t>(a.size())) == 0;
}

bool same_campaign(const Campaign& a, const Campaign& b) {
  return same_bits(a.g_target_uS, b.g_target_uS) && a.converged == b.converged &&
         same_bits(a.time_s, b.time_s) && same_bits(a.g_uS, b.g_uS) &&
         a.noise.has_value() == b.noise.has_value() &&
         (!a.noise || (a.noise->device_index == b.noise->device_index &&
                       same_bits(a.noise->t_start_s, b.noise->t_start_s) &&
                       a.noise->dt_s == b.noise->dt_s && same_bits(a.noise->g_uS, b.noise->g_uS)));
}

// The published model without read noise: a read at t0 is then G_prog exactly, and every read
// and trace sample is G_prog·(t/t0)^(−ν).
device::PcmModel noiseless_reads() {
  device::PcmModel m = device::PcmModel::published();
  m.read_noise.q0 = 0.0;
  m.read_noise.q_max = 0.0;
  return m;
}

TEST_CASE("shapes: N = levels x devices, T times, M = traces x levels, R trace reads") {
  VirtualChipOptions o;
  o.g_target_uS = {0.0, 10.0, 25.0};
  o.devices_per_level = 40;
  o.times_s = {20.0, 100.0, 1000.0, 1e4};
  o.traces_per_level = 6;
  o.trace_reads = 33;
  o.trace_dt_s = 0.5;
  o.trace_t_start_s = 500.0;
  o.non_converged_fraction = 0.0;
  o.seed = kSeed;
  const Campaign c = synthesize_campaign(device::PcmModel::published(), o);
  CHECK_NOTHROW(c.validate("virtual chip"));
  CHECK(c.num_devices() == 120);
  CHECK(c.num_times() == 4);
  CHECK(c.shared_times());
  CHECK(c.converged.size() == 120);
  CHECK(c.g_max_uS == 25.0);
  CHECK(c.t_read_s == 250e-9);
  for (int j = 0; j < 4; ++j) CHECK(c.time_s(0, j) == o.times_s[static_cast<std::size_t>(j)]);
  for (Eigen::Index i = 0; i < 120; ++i) CHECK(c.g_target_uS[i] == o.g_target_uS[i / 40]);
  REQUIRE(c.noise.has_value());
  CHECK(c.noise->device_index.size() == 18);
  CHECK(c.noise->g_uS.rows() == 18);
  CHECK(c.noise->g_uS.cols() == 33);
  CHECK(c.noise->dt_s == 0.5);
  CHECK((c.noise->t_start_s.array() == 500.0).all());
  CHECK(c.g_uS.allFinite());
  CHECK((c.g_uS.array() >= 0).all());
  CHECK((c.noise->g_uS.array() >= 0).all());

  o.traces_per_level = 0;  // boundary: no traces, no noise group
  CHECK_FALSE(synthesize_campaign(device::PcmModel::published(), o).noise.has_value());
}

TEST_CASE("defaults: 11 levels 0..G_max, 20 log-spaced times from exactly 25 s to exactly 1 d") {
  VirtualChipOptions o;
  o.devices_per_level = 3;
  o.traces_per_level = 0;
  o.seed = kSeed;
  device::PcmModel m = device::PcmModel::published();
  m.g_max_uS = 20.0;  // levels follow the model's G_max
  const Campaign c = synthesize_campaign(m, o);
  REQUIRE(c.num_devices() == 33);
  for (Eigen::Index i = 0; i < 33; ++i) CHECK(c.g_target_uS[i] == 20.0 * (i / 3) / 10.0);
  CHECK(c.g_target_uS[0] == 0.0);
  CHECK(c.g_target_uS[32] == 20.0);
  REQUIRE(c.num_times() == 20);
  CHECK(c.time_s(0, 0) == 25.0);
  CHECK(c.time_s(0, 19) == 86400.0);
  // Log-spaced: equal ratios (86400/25)^(1/19).
  const double ratio = std::pow(86400.0 / 25.0, 1.0 / 19.0);
  for (int j = 1; j < 20; ++j)
    CHECK(std::abs(c.time_s(0, j) / c.time_s(0, j - 1) - ratio) <= kRelTol * ratio);
}

TEST_CASE(
    "non-converged devices: binomial count, flagged, 0.3..0.6 G_max off target in [0, G_max]") {
  const device::PcmModel m = noiseless_reads();
  VirtualChipOptions o;
  o.g_target_uS = {0.0, 12.5, 25.0};
  o.devices_per_level = 4000;
  o.times_s = {m.t0_s, 1000.0};
  o.non_converged_fraction = 0.1;
  o.traces_per_level = 0;
  o.seed = kSeed;
  const Campaign c = synthesize_campaign(m, o);
  // N = 12,000 Bernoulli(0.1) draws: mean 1200, s.d. sqrt(N p (1 - p)) = 32.9; tolerance 5 s.d.
  const double n = 12000, p = 0.1;
  Eigen::Index flagged = 0;
  for (Eigen::Index i = 0; i < c.num_devices(); ++i) {
    const double g_t = c.g_target_uS[i], g_prog = c.g_uS(i, 0);  // the read at t0 is G_prog
    CAPTURE(i);
    if (c.is_converged(i)) {
      // Programming noise: sigma_prog <= 1.1 uS at every level, so 7.5 uS is > 6.8 sigma.
      CHECK(std::abs(g_prog - g_t) < 0.3 * m.g_max_uS);
      continue;
    }
    ++flagged;
    CHECK(std::abs(g_prog - g_t) >= 0.3 * m.g_max_uS * (1 - kRelTol));
    CHECK(std::abs(g_prog - g_t) <= 0.6 * m.g_max_uS * (1 + kRelTol));
    CHECK(g_prog >= 0.0);
    CHECK(g_prog <= m.g_max_uS);
  }
  CHECK(std::abs(static_cast<double>(flagged) - n * p) <= 5 * std::sqrt(n * p * (1 - p)));

  o.non_converged_fraction = 0.0;  // boundary: nobody flagged
  const Campaign none = synthesize_campaign(m, o);
  for (std::uint8_t f : none.converged) CHECK(f == 1);
}

TEST_CASE("traces come from the first converged devices of each level, in level order") {
  const device::PcmModel m = noiseless_reads();
  VirtualChipOptions o;
  o.g_target_uS = {0.0, 5.0, 20.0};
  o.devices_per_level = 200;
  o.times_s = {m.t0_s, 2000.0};
  o.non_converged_fraction = 0.2;
  o.traces_per_level = 25;
  o.trace_reads = 16;
  o.trace_dt_s = 0.25;
  o.trace_t_start_s = 1000.0;
  o.seed = kSeed;
  const Campaign c = synthesize_campaign(m, o);
  REQUIRE(c.noise.has_value());
  const NoiseTraces& tr = *c.noise;
  REQUIRE(tr.device_index.size() == 75);

  Eigen::Index skipped = 0;  // flagged devices passed over while choosing traced devices
  for (Eigen::Index l = 0; l < 3; ++l) {
    std::vector<std::int64_t> expected;
    for (Eigen::Index i = l * 200; i < (l + 1) * 200 && expected.size() < 25; ++i) {
      if (c.is_converged(i))
        expected.push_back(i);
      else
        ++skipped;
    }
    for (Eigen::Index k = 0; k < 25; ++k) {
      const std::int64_t i = tr.device_index[l * 25 + k];
      CAPTURE(i);
      CHECK(i == expected[static_cast<std::size_t>(k)]);
      CHECK(c.is_converged(i));
      CHECK(c.g_target_uS[i] == o.g_target_uS[static_cast<std::size_t>(l)]);
    }
  }
  // With p = 0.2 the first 25 devices of 3 levels hold flagged ones (P(none) = 0.8^75 ~ 5e-8).
  REQUIRE(skipped > 0);

  // Without read noise a trace is the drift curve of its device: G_prog from the read at t0, ν
  // from the read at 2000 s, so a trace read at t must be G_prog·(t/t0)^(−ν).
  for (Eigen::Index k = 0; k < tr.device_index.size(); ++k) {
    const Eigen::Index i = tr.device_index[k];
    const double g_prog = c.g_uS(i, 0);
    CAPTURE(i);
    if (g_prog == 0.0) {  // G_T = 0 devices clipped at 0 stay there
      CHECK((tr.g_uS.row(k).array() == 0.0).all());
      continue;
    }
    const double nu = -std::log(c.g_uS(i, 1) / g_prog) / std::log(2000.0 / m.t0_s);
    for (Eigen::Index r : {0, 7, 15}) {
      const double t = tr.t_start_s[k] + static_cast<double>(r) * tr.dt_s;
      const double want = g_prog * std::pow(t / m.t0_s, -nu);
      CHECK(std::abs(tr.g_uS(k, r) - want) <= kRelTol * want);
    }
  }
}

TEST_CASE("a level with fewer converged devices than traces gives what it has") {
  VirtualChipOptions o;
  o.g_target_uS = {10.0, 20.0};
  o.devices_per_level = 5;
  o.times_s = {30.0, 300.0};
  o.traces_per_level = 8;
  o.trace_reads = 2;  // boundary: R = 2
  o.non_converged_fraction = 0.0;
  o.seed = kSeed;
  const Campaign c = synthesize_campaign(device::PcmModel::published(), o);
  REQUIRE(c.noise.has_value());
  CHECK(c.noise->device_index.size() == 10);
  CHECK(c.noise->g_uS.cols() == 2);
  for (Eigen::Index k = 0; k < 10; ++k) CHECK(c.noise->device_index[k] == k);
}

// The InputError's field is the option; what() is one line.
void check_rejected(const VirtualChipOptions& o, const std::string& option) {
  const device::PcmModel m = device::PcmModel::published();
  CAPTURE(option);
  bool thrown = false;
  try {
    o.validate(m);
  } catch (const InputError& e) {
    thrown = true;
    CHECK(e.field() == option);
    CHECK(std::string(e.what()).find('\n') == std::string::npos);
  }
  CHECK(thrown);
  CHECK_THROWS_AS(synthesize_campaign(m, o), InputError);  // validated before any work
}

TEST_CASE("Errors: validate names the offending option") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const VirtualChipOptions good;
  CHECK_NOTHROW(good.validate(device::PcmModel::published()));
  for (const double level : {-0.1, 25.001, nan}) {
    VirtualChipOptions o;
    o.g_target_uS = {5.0, level};
    check_rejected(o, "g_target_uS");
  }
  {
    VirtualChipOptions o;
    o.devices_per_level = 0;
    check_rejected(o, "devices_per_level");
  }
  for (const std::vector<double>& times :
       std::vector<std::vector<double>>{{19.9, 100.0}, {25.0, 25.0}, {100.0, 50.0}, {25.0, nan}}) {
    VirtualChipOptions o;
    o.times_s = times;
    check_rejected(o, "times_s");
  }
  for (const double f : {-0.01, 0.5, nan}) {
    VirtualChipOptions o;
    o.non_converged_fraction = f;
    check_rejected(o, "non_converged_fraction");
  }
  {
    VirtualChipOptions o;
    o.traces_per_level = -1;
    check_rejected(o, "traces_per_level");
  }
  {
    VirtualChipOptions o;
    o.trace_reads = 1;
    check_rejected(o, "trace_reads");
  }
  for (const double dt : {0.0, -1.0, nan}) {
    VirtualChipOptions o;
    o.trace_dt_s = dt;
    check_rejected(o, "trace_dt_s");
  }
  for (const double t : {19.0, nan}) {
    VirtualChipOptions o;
    o.trace_t_start_s = t;
    check_rejected(o, "trace_t_start_s");
  }
}

TEST_CASE("Errors: boundary values are accepted") {
  VirtualChipOptions o;
  o.g_target_uS = {0.0, 25.0};  // both ends of [0, G_max]
  o.devices_per_level = 1;
  o.times_s = {20.0, 21.0};  // from exactly t0; two times, the fewest calibrate fits
  o.non_converged_fraction = 0.0;
  o.traces_per_level = 0;
  o.trace_reads = 2;
  o.trace_t_start_s = 20.0;
  CHECK_NOTHROW(o.validate(device::PcmModel::published()));
  const Campaign c = synthesize_campaign(device::PcmModel::published(), o);
  CHECK(c.num_devices() == 2);
  CHECK(c.num_times() == 2);
  o.times_s = {20.0};  // a campaign calibrate would refuse
  check_rejected(o, "times_s");
}

VirtualChipOptions small_chip(std::uint64_t seed) {
  VirtualChipOptions o;
  o.g_target_uS = {5.0, 20.0};  // above 0: every device drifts and is read with noise
  o.devices_per_level = 1001;   // odd: uneven thread chunks
  o.times_s = {25.0, 250.0, 2500.0};
  o.non_converged_fraction = 0.05;
  o.traces_per_level = 3;
  o.trace_reads = 64;
  o.seed = seed;
  return o;
}

TEST_CASE("reproducible: same seed same bits, another seed differs, 1 and 2 threads agree") {
  const device::PcmModel m = device::PcmModel::published();
  const int threads_before = num_threads();
  set_num_threads(1);
  const Campaign one = synthesize_campaign(m, small_chip(kSeed));
  set_num_threads(2);
  const Campaign two = synthesize_campaign(m, small_chip(kSeed));
  set_num_threads(threads_before);
  CHECK(same_campaign(one, two));
  CHECK(same_campaign(one, synthesize_campaign(m, small_chip(kSeed))));

  const Campaign other = synthesize_campaign(m, small_chip(kSeed + 1));
  CHECK((other.g_uS.array() != one.g_uS.array()).all());
  CHECK(other.converged != one.converged);
  REQUIRE(other.noise.has_value());
  CHECK((other.noise->g_uS.array() != one.noise->g_uS.array()).all());
}

}  // namespace
}  // namespace pcmkit::measurement
