// Campaign::validate: every rule of the header contract, the first violation named by its HDF5
// path, and one-line messages.
#include "pcmkit/measurement/campaign.h"

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "pcmkit/core/error.h"

namespace pcmkit::measurement {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Three devices, four shared read times, two noise traces: valid.
Campaign small_campaign() {
  Campaign c;
  c.g_max_uS = 25.0;
  c.t_read_s = 250e-9;
  c.g_target_uS = (Eigen::VectorXd(3) << 0.0, 12.5, 25.0).finished();
  c.converged = {1, 0, 1};
  c.time_s.resize(1, 4);
  c.time_s << 25.0, 50.0, 100.0, 200.0;
  c.g_uS.resize(3, 4);
  c.g_uS << 0.1, 0.1, kNaN, 0.0, 12.0, 11.5, 11.0, 10.5, 24.0, 23.0, 22.0, 21.0;
  NoiseTraces noise;
  noise.device_index.resize(2);
  noise.device_index << 0, 2;
  noise.t_start_s = (Eigen::VectorXd(2) << 1000.0, 1000.0).finished();
  noise.dt_s = 0.1;
  noise.g_uS = RowMatrixXd::Constant(2, 8, 5.0);
  c.noise = noise;
  return c;
}

// Applies `edit` to a valid campaign and returns the InputError that validate throws.
InputError rejection(const std::function<void(Campaign&)>& edit) {
  Campaign c = small_campaign();
  edit(c);
  try {
    c.validate("campaign.h5");
  } catch (const InputError& e) {
    CHECK(e.file() == "campaign.h5");
    CHECK(std::string(e.what()).find('\n') == std::string::npos);
    return e;
  }
  FAIL("validate accepted the campaign");
  return InputError("", "", "");
}

std::string field_of(const std::function<void(Campaign&)>& edit) { return rejection(edit).field(); }

TEST_CASE("validate accepts valid campaigns, including boundary values") {
  CHECK_NOTHROW(small_campaign().validate("campaign.h5"));

  SUBCASE("one device, one read time, target G = 0, no optional parts") {
    Campaign c;
    c.g_max_uS = 25.0;
    c.t_read_s = 1e-7;
    c.g_target_uS = Eigen::VectorXd::Zero(1);
    c.time_s = RowMatrixXd::Constant(1, 1, 25.0);
    c.g_uS = RowMatrixXd::Constant(1, 1, kNaN);  // a missing read is allowed
    CHECK_NOTHROW(c.validate("one.h5"));
  }
  SUBCASE("per-device times [N, T]") {
    Campaign c = small_campaign();
    c.time_s.resize(3, 4);
    c.time_s << 25.0, 50.0, 100.0, 200.0, 26.0, 51.0, 101.0, 201.0, 27.0, 52.0, 102.0, 202.0;
    CHECK_FALSE(c.shared_times());
    CHECK(c.time_of(1, 2) == 101.0);
    CHECK_NOTHROW(c.validate("campaign.h5"));
  }
  SUBCASE("empty converged means all converged") {
    Campaign c = small_campaign();
    c.converged.clear();
    CHECK_NOTHROW(c.validate("campaign.h5"));
    CHECK(c.is_converged(1));
  }
}

TEST_CASE("validate names the root attribute at fault") {
  CHECK(field_of([](Campaign& c) { c.g_max_uS = 0.0; }) == "g_max_uS");
  CHECK(field_of([](Campaign& c) { c.g_max_uS = kNaN; }) == "g_max_uS");
  CHECK(field_of([](Campaign& c) { c.t_read_s = -1e-7; }) == "t_read_s");
  CHECK(field_of([](Campaign& c) { c.t_read_s = kInf; }) == "t_read_s");
  CHECK(field_of([](Campaign& c) { c.temperature_K = -3.0; }) == "temperature_K");
}

TEST_CASE("validate rejects bad targets and converged flags") {
  const std::string targets = "/devices/g_target_uS";
  CHECK(field_of([](Campaign& c) { c.g_target_uS(1) = kNaN; }) == targets);
  CHECK(field_of([](Campaign& c) { c.g_target_uS(1) = kInf; }) == targets);
  const InputError negative = rejection([](Campaign& c) { c.g_target_uS(2) = -0.5; });
  CHECK(negative.field() == targets);
  CHECK(negative.problem() == "negative at index 2 (-0.5 uS)");
  const InputError empty = rejection([](Campaign& c) {
    c.g_target_uS.resize(0);
    c.converged.clear();
    c.g_uS.resize(0, 4);
    c.noise.reset();
  });
  CHECK(empty.field() == targets);
  CHECK(empty.problem() == "empty (N = 0)");
  CHECK(field_of([](Campaign& c) { c.converged = {1, 1}; }) == "/devices/converged");
}

TEST_CASE("validate rejects bad read times") {
  const InputError not_increasing = rejection([](Campaign& c) { c.time_s(0, 2) = 12.0; });
  CHECK(std::string(not_increasing.what()) ==
        "campaign.h5: /reads/time_s: not increasing at index 2 (12 s after 50 s)");
  const InputError equal = rejection([](Campaign& c) { c.time_s(0, 1) = 25.0; });
  CHECK(equal.problem() == "not increasing at index 1 (25 s after 25 s)");
  CHECK(field_of([](Campaign& c) { c.time_s(0, 0) = 0.0; }) == "/reads/time_s");
  CHECK(field_of([](Campaign& c) { c.time_s(0, 0) = -25.0; }) == "/reads/time_s");
  CHECK(field_of([](Campaign& c) { c.time_s(0, 3) = kInf; }) == "/reads/time_s");
  CHECK(field_of([](Campaign& c) { c.time_s(0, 3) = kNaN; }) == "/reads/time_s");
  CHECK(field_of([](Campaign& c) { c.time_s.resize(2, 4); }) == "/reads/time_s");  // N = 3
  const InputError no_times = rejection([](Campaign& c) {
    c.time_s.resize(1, 0);
    c.g_uS.resize(3, 0);
  });
  CHECK(no_times.field() == "/reads/time_s");
  CHECK(no_times.problem() == "empty (T = 0)");
  const InputError per_device = rejection([](Campaign& c) {
    c.time_s = c.time_s.replicate(3, 1).eval();
    c.time_s(2, 3) = 100.0;
  });
  CHECK(per_device.problem() == "not increasing at [2, 3] (100 s after 100 s)");
}

TEST_CASE("validate rejects reads of the wrong shape or value") {
  const InputError shape = rejection([](Campaign& c) { c.g_uS.resize(3, 3); });
  CHECK(shape.field() == "/reads/g_uS");
  CHECK(shape.problem() == "shape [3, 3], expected [N, T] = [3, 4]");
  CHECK(field_of([](Campaign& c) { c.g_uS.resize(2, 4); }) == "/reads/g_uS");
  CHECK(field_of([](Campaign& c) { c.g_uS(1, 1) = kInf; }) == "/reads/g_uS");
  CHECK(field_of([](Campaign& c) { c.g_uS(1, 1) = -kInf; }) == "/reads/g_uS");
}

TEST_CASE("reads below 0 are data (an instrument's offset), refused only when strict") {
  Campaign c = small_campaign();
  c.g_uS(2, 0) = -0.12;
  c.g_uS(1, 3) = -0.05;
  CHECK_NOTHROW(c.validate("c.h5"));
  CHECK(c.num_negative_reads() == 2);
  CHECK(c.min_read_uS() == -0.12);
  try {
    c.validate("c.h5", Campaign::Reads::kNonNegative);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.field() == "/reads/g_uS");
    CHECK(e.problem() == "negative at [1, 3] (-0.05 uS; without --strict such reads count as 0)");
  }
  CHECK(small_campaign().num_negative_reads() == 0);
  CHECK(small_campaign().min_read_uS() == 0.0);
}

TEST_CASE("validate rejects bad noise traces") {
  const InputError empty = rejection([](Campaign& c) {
    c.noise->device_index.resize(0);
    c.noise->t_start_s.resize(0);
    c.noise->g_uS.resize(0, 8);
  });
  CHECK(empty.field() == "/noise/device_index");
  const InputError range = rejection([](Campaign& c) { c.noise->device_index(1) = 3; });
  CHECK(range.field() == "/noise/device_index");
  CHECK(range.problem() == "out of range [0, N = 3) at index 1 (3)");
  CHECK(field_of([](Campaign& c) { c.noise->device_index(0) = -1; }) == "/noise/device_index");
  CHECK(field_of([](Campaign& c) { c.noise->t_start_s.resize(1); }) == "/noise/t_start_s");
  CHECK(field_of([](Campaign& c) { c.noise->t_start_s(0) = 0.0; }) == "/noise/t_start_s");
  CHECK(field_of([](Campaign& c) { c.noise->t_start_s(1) = kNaN; }) == "/noise/t_start_s");
  CHECK(field_of([](Campaign& c) { c.noise->dt_s = 0.0; }) == "/noise/dt_s");
  CHECK(field_of([](Campaign& c) { c.noise->dt_s = -0.1; }) == "/noise/dt_s");
  CHECK(field_of([](Campaign& c) { c.noise->dt_s = kNaN; }) == "/noise/dt_s");
  CHECK(field_of([](Campaign& c) { c.noise->g_uS.resize(3, 8); }) == "/noise/g_uS");
  CHECK(field_of([](Campaign& c) { c.noise->g_uS.resize(2, 1); }) == "/noise/g_uS");
  CHECK(field_of([](Campaign& c) { c.noise->g_uS(0, 0) = kInf; }) == "/noise/g_uS");
  Campaign negative_trace_read = small_campaign();  // a trace is a signal: offsets are data
  negative_trace_read.noise->g_uS(1, 7) = -0.1;
  CHECK_NOTHROW(negative_trace_read.validate("campaign.h5"));
  CHECK_THROWS_AS(negative_trace_read.validate("campaign.h5", Campaign::Reads::kNonNegative),
                  InputError);
  Campaign missing_trace_read = small_campaign();
  missing_trace_read.noise->g_uS(1, 7) = kNaN;
  CHECK_NOTHROW(missing_trace_read.validate("campaign.h5"));
}

TEST_CASE("validate reports the first violation in schema order") {
  // Attributes, then devices, then reads, then noise.
  CHECK(field_of([](Campaign& c) {
          c.g_max_uS = 0.0;
          c.g_target_uS(0) = -1.0;
        }) == "g_max_uS");
  CHECK(field_of([](Campaign& c) {
          c.g_target_uS(0) = -1.0;
          c.time_s(0, 0) = 0.0;
        }) == "/devices/g_target_uS");
  CHECK(field_of([](Campaign& c) {
          c.g_uS(0, 0) = kInf;
          c.noise->dt_s = 0.0;
        }) == "/reads/g_uS");
}

}  // namespace
}  // namespace pcmkit::measurement
