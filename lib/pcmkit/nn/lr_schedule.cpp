#include "pcmkit/nn/lr_schedule.h"

#include <cmath>
#include <numbers>
#include <string>
#include <utility>

#include "pcmkit/core/error.h"

namespace pcmkit::nn {
namespace {

// PyTorch's OneCycleLR._annealing_cos and _annealing_linear.
double anneal_cos(double start, double end, double pct) {
  return end + (start - end) / 2.0 * (std::cos(std::numbers::pi * pct) + 1.0);
}
double anneal_linear(double start, double end, double pct) { return (end - start) * pct + start; }

double warmup_end_step(const LrScheduleOptions& o) {
  return o.pct_start * static_cast<double>(o.total_steps) - 1.0;
}

}  // namespace

void LrScheduleOptions::validate() const {
  if (!(base_learning_rate > 0.0 && std::isfinite(base_learning_rate)))
    throw InputError("", "base_learning_rate",
                     "must be > 0, got " + std::to_string(base_learning_rate));
  if (total_steps < 1)
    throw InputError("", "total_steps", "must be >= 1, got " + std::to_string(total_steps));
  if (kind == LrScheduleKind::kStep) {
    if (!(gamma > 0.0 && gamma <= 1.0))
      throw InputError("", "gamma", "must be in (0, 1], got " + std::to_string(gamma));
    for (std::size_t k = 0; k < milestones.size(); ++k)
      if (milestones[k] < 1 || (k > 0 && milestones[k] <= milestones[k - 1]))
        throw InputError("", "milestones", "must be increasing and >= 1");
  }
  if (kind == LrScheduleKind::kOneCycle) {
    if (!(pct_start > 0.0 && pct_start < 1.0))
      throw InputError("", "pct_start", "must be in (0, 1), got " + std::to_string(pct_start));
    if (!(div_factor > 0.0 && std::isfinite(div_factor)))
      throw InputError("", "div_factor", "must be > 0, got " + std::to_string(div_factor));
    if (!(final_div_factor > 0.0 && std::isfinite(final_div_factor)))
      throw InputError("", "final_div_factor",
                       "must be > 0, got " + std::to_string(final_div_factor));
    const double a = warmup_end_step(*this);
    if (!(a > 0.0 && a < static_cast<double>(total_steps - 1)))
      throw InputError("", "total_steps",
                       "one-cycle needs pct_start * total_steps - 1 in (0, total_steps - 1), got " +
                           std::to_string(a));
  }
}

LrSchedule::LrSchedule(LrScheduleOptions options) : options_(std::move(options)) {
  options_.validate();
}

double LrSchedule::learning_rate(std::int64_t step) const {
  PCMKIT_CHECK(step >= 0, "LrSchedule: negative step");
  const LrScheduleOptions& o = options_;
  const double t = static_cast<double>(step);
  switch (o.kind) {
    case LrScheduleKind::kStep: {
      double lr = o.base_learning_rate;
      for (std::int64_t m : o.milestones)
        if (step >= m) lr *= o.gamma;
      return lr;
    }
    case LrScheduleKind::kCosine:
      return o.base_learning_rate *
             (1.0 + std::cos(std::numbers::pi * t / static_cast<double>(o.total_steps))) / 2.0;
    case LrScheduleKind::kOneCycle: {
      const double initial = o.base_learning_rate / o.div_factor;
      const double final_lr = initial / o.final_div_factor;
      const double a = warmup_end_step(o);
      if (t <= a) {
        const double pct = t / a;
        return o.cosine_warmup ? anneal_cos(initial, o.base_learning_rate, pct)
                               : anneal_linear(initial, o.base_learning_rate, pct);
      }
      const double pct = (t - a) / (static_cast<double>(o.total_steps - 1) - a);
      return anneal_cos(o.base_learning_rate, final_lr, pct);
    }
  }
  return o.base_learning_rate;
}

}  // namespace pcmkit::nn
