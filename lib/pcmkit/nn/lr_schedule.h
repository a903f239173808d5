// Learning-rate schedules as functions of the global step t (0-based, one step per batch), with
// base rate η₀ and T = total_steps:
//   step:     η₀ · γ^(number of milestones ≤ t)  (PyTorch MultiStepLR; milestones in steps)
//   cosine:   η₀ · (1 + cos(π·t/T))/2, reaching 0 at t = T  (CosineAnnealingLR, T_max = T,
//             eta_min = 0, in closed form)
//   one-cycle (OneCycleLR, three_phase = False, max_lr = η₀): from η₀/div_factor at t = 0 up to
//             η₀ at t = a = pct_start·T − 1, then down to η₀/(div_factor·final_div_factor) at
//             t = T − 1; the warm-up is linear in t and the annealing cosine:
//               t ≤ a: η_init + (η₀ − η_init)·t/a
//               t > a: η_end + (η₀ − η_end)·(1 + cos(π·(t − a)/(T − 1 − a)))/2
//             PyTorch's anneal_strategy applies one shape to both phases; set
//             cosine_warmup = true for its "cos" (both cosine).
// Steps past the end keep the formula (cosine: cos(π·t/T) keeps turning; one-cycle: the
// annealing phase extrapolates, as PyTorch's would, which raises an error there instead).
#pragma once

#include <cstdint>
#include <vector>

namespace pcmkit::nn {

enum class LrScheduleKind { kStep, kCosine, kOneCycle };

struct LrScheduleOptions {
  LrScheduleKind kind = LrScheduleKind::kCosine;
  double base_learning_rate = 0.1;  // η₀ (> 0); the peak for one-cycle
  std::int64_t total_steps = 1;     // T ≥ 1 (cosine, one-cycle)
  // step: increasing milestones ≥ 1 (in steps) and the factor γ in (0, 1].
  std::vector<std::int64_t> milestones;
  double gamma = 0.1;
  // one-cycle: fraction of T spent warming up, in (0, 1); initial rate η₀/div_factor (> 0);
  // final rate η₀/(div_factor·final_div_factor) (> 0). PyTorch's defaults.
  double pct_start = 0.3;
  double div_factor = 25.0;
  double final_div_factor = 1e4;
  bool cosine_warmup = false;
  // Errors: InputError{"", field, problem} for a value outside its range; one-cycle also needs
  //   0 < a < T − 1 (field total_steps).
  void validate() const;
};

class LrSchedule {
 public:
  // Errors: as LrScheduleOptions::validate.
  explicit LrSchedule(LrScheduleOptions options);
  // The learning rate of global step t. Requires: t ≥ 0 (PCMKIT_CHECK).
  double learning_rate(std::int64_t step) const;
  const LrScheduleOptions& options() const { return options_; }

 private:
  LrScheduleOptions options_;
};

}  // namespace pcmkit::nn
