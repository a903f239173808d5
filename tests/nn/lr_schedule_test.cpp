// Learning-rate schedules at chosen steps: closed forms, and PyTorch's OneCycleLR values (torch
// 1.13, max_lr 0.4, total_steps 100, pct_start 0.3, cycle_momentum False).
#include "pcmkit/nn/lr_schedule.h"

#include <doctest/doctest.h>

#include <cmath>
#include <numbers>

#include "pcmkit/core/error.h"

namespace pcmkit::nn {
namespace {

TEST_CASE("Step schedule multiplies by gamma at each milestone") {
  LrScheduleOptions o;
  o.kind = LrScheduleKind::kStep;
  o.base_learning_rate = 0.1;
  o.milestones = {10, 20};
  o.gamma = 0.1;
  const LrSchedule s(o);
  CHECK(s.learning_rate(0) == 0.1);
  CHECK(s.learning_rate(9) == 0.1);
  CHECK(s.learning_rate(10) == doctest::Approx(0.01).epsilon(1e-15));
  CHECK(s.learning_rate(19) == doctest::Approx(0.01).epsilon(1e-15));
  CHECK(s.learning_rate(20) == doctest::Approx(0.001).epsilon(1e-15));
  CHECK(s.learning_rate(1000) == doctest::Approx(0.001).epsilon(1e-15));
}

TEST_CASE("Cosine schedule goes from the base rate to 0 over the run") {
  LrScheduleOptions o;
  o.kind = LrScheduleKind::kCosine;
  o.base_learning_rate = 0.2;
  o.total_steps = 100;
  const LrSchedule s(o);
  CHECK(s.learning_rate(0) == 0.2);
  CHECK(s.learning_rate(25) == doctest::Approx(0.1 * (1 + std::cos(std::numbers::pi / 4))));
  CHECK(s.learning_rate(50) == doctest::Approx(0.1));
  CHECK(s.learning_rate(100) == doctest::Approx(0.0));
}

TEST_CASE("One-cycle schedule matches PyTorch's OneCycleLR") {
  LrScheduleOptions o;
  o.kind = LrScheduleKind::kOneCycle;
  o.base_learning_rate = 0.4;
  o.total_steps = 100;
  SUBCASE("linear warm-up, cosine annealing (annealing values as anneal_strategy 'cos')") {
    const LrSchedule s(o);
    CHECK(s.learning_rate(0) == doctest::Approx(0.016).epsilon(1e-12));
    CHECK(s.learning_rate(10) == doctest::Approx(0.14841379310344827).epsilon(1e-12));
    CHECK(s.learning_rate(29) == doctest::Approx(0.4).epsilon(1e-12));
    CHECK(s.learning_rate(30) == doctest::Approx(0.39979861411380974).epsilon(1e-12));
    CHECK(s.learning_rate(64) == doctest::Approx(0.2000008).epsilon(1e-12));
    CHECK(s.learning_rate(99) == doctest::Approx(1.6e-06).epsilon(1e-9));
  }
  SUBCASE("cosine warm-up: anneal_strategy 'cos'") {
    o.cosine_warmup = true;
    const LrSchedule s(o);
    CHECK(s.learning_rate(0) == doctest::Approx(0.016).epsilon(1e-12));
    CHECK(s.learning_rate(10) == doctest::Approx(0.11806557938564033).epsilon(1e-12));
    CHECK(s.learning_rate(29) == doctest::Approx(0.4).epsilon(1e-12));
  }
}

TEST_CASE("LrScheduleOptions::validate names the bad field") {
  const auto field_of = [](const LrScheduleOptions& o) {
    try {
      o.validate();
    } catch (const InputError& e) {
      return e.field();
    }
    return std::string();
  };
  LrScheduleOptions o;
  o.base_learning_rate = 0;
  CHECK(field_of(o) == "base_learning_rate");
  o = {};
  o.total_steps = 0;
  CHECK(field_of(o) == "total_steps");
  o = {};
  o.kind = LrScheduleKind::kStep;
  o.milestones = {5, 5};
  CHECK(field_of(o) == "milestones");
  o.milestones = {5};
  o.gamma = 1.5;
  CHECK(field_of(o) == "gamma");
  o = {};
  o.kind = LrScheduleKind::kOneCycle;
  o.total_steps = 100;
  o.pct_start = 1.0;
  CHECK(field_of(o) == "pct_start");
  o.pct_start = 0.3;
  o.total_steps = 2;  // warm-up would end before step 0
  CHECK(field_of(o) == "total_steps");
  CHECK_THROWS_AS(LrSchedule{o}, InputError);
  CHECK_THROWS_AS(LrSchedule(LrScheduleOptions{}).learning_rate(-1), InternalError);
}

}  // namespace
}  // namespace pcmkit::nn
