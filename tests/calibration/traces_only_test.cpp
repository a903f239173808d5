// A campaign of noise traces alone (no read after programming, e.g. a lab's read-noise run):
// calibrate fits γ and Q_s from the traces and keeps every other coefficient at the prior,
// reported not identified, with no adequacy check (nothing to check against).
#include <doctest/doctest.h>

#include <cmath>

#include "pcmkit/calibration/calibrate.h"
#include "pcmkit/core/error.h"
#include "pcmkit/measurement/virtual_chip.h"

namespace pcmkit::calibration {
namespace {

measurement::Campaign traces_only(std::uint64_t seed) {
  measurement::VirtualChipOptions o;
  o.g_target_uS = {2, 5, 10, 15, 25};
  o.devices_per_level = 60;
  o.times_s = {25, 100};
  o.traces_per_level = 50;
  o.trace_reads = 1024;
  o.seed = seed;
  measurement::Campaign c = measurement::synthesize_campaign(device::PcmModel::published(), o);
  c.g_uS.setConstant(NAN);  // the reads are gone: traces only
  return c;
}

const CoefficientFit& coefficient(const CalibrationResult& r, const std::string& name) {
  for (const CoefficientFit& c : r.coefficients)
    if (c.name == name) return c;
  FAIL("no coefficient " << name);
  return r.coefficients.front();
}

TEST_CASE("traces alone give gamma and the read-noise curve, and nothing else") {
  const device::PcmModel truth = device::PcmModel::published();
  const CalibrationResult r = calibrate(traces_only(3), {});
  CHECK_FALSE(r.adequacy.has_value());
  REQUIRE(r.levels.size() == 5);
  for (const LevelFit& l : r.levels) {
    CHECK(l.q_s.identified);
    CHECK(l.q_s_source == ReadNoiseSource::kTraces);
    CHECK_FALSE(l.sigma_prog_uS.identified);
    CHECK_FALSE(l.mu_nu.identified);
    CHECK(std::abs(l.q_s.value - truth.q_s(l.g_target_uS)) < 4 * l.q_s.std_error);
  }
  const CoefficientFit& gamma = coefficient(r, "read_noise.gamma");
  REQUIRE(gamma.estimate.identified);
  CHECK(std::abs(gamma.estimate.value - truth.read_noise.gamma) < 4 * gamma.estimate.std_error);
  for (const char* name : {"programming_noise.c0_uS", "drift_exponent.a0", "drift_exponent.b1"}) {
    CHECK_FALSE(coefficient(r, name).estimate.identified);
    CHECK(coefficient(r, name).estimate.value == coefficient(r, name).prior);
  }
  bool said = false;
  for (const std::string& w : r.warnings) said = said || w.find("noise traces only") != w.npos;
  CHECK(said);
}

TEST_CASE("no reads and no traces is still an input error") {
  measurement::Campaign c = traces_only(1);
  c.noise.reset();
  CHECK_THROWS_WITH_AS(calibrate(c, {}), doctest::Contains("no read"), InputError);
}

}  // namespace
}  // namespace pcmkit::calibration
