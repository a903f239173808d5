// Finite-difference checks of Module::backward for the nn tests. The scalar checked is
// L = Σ r ⊙ forward_train(x) for a fixed random r, summed in double; backward(r) must give dL/dx
// and (accumulated from zero) dL/dθ, compared with central differences (L(v+s) − L(v−s))/2s.
// Numbers are float, so a difference carries rounding noise up to about 2⁻²⁴·Σ|r ⊙ y|/s (the
// `noise` term of the tolerance, with a factor 8 of margin). A ReLU or max kink within s, or a
// strong curvature (BatchNorm over few values), spoils the difference at step s but not at
// s/4 or s/16: an element passes when one of the three steps agrees. An indexing or formula
// error (O(1) of the gradient) fails at all three.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "nn_test_support.h"
#include "pcmkit/nn/module.h"

namespace pcmkit::nn::testing {

struct GradientCheckOptions {
  float step = 1e-2f;  // s, then s/4 and s/16
  double absolute_tolerance = 1e-3;
  double relative_tolerance = 2e-3;
};

inline double weighted_sum(const Tensor& y, const Tensor& r) {
  double sum = 0;
  for (Index k = 0; k < y.size(); ++k)
    sum += static_cast<double>(y.data()[k]) * static_cast<double>(r.data()[k]);
  return sum;
}

// Compares analytic and numerical dL/d(value) for every element of `values` (modified in place
// and restored); `loss` evaluates L and `magnitude` is Σ|r ⊙ y|.
inline void compare_gradient(const std::string& what,
                             std::span<float> values,
                             std::span<const float> analytic,
                             const std::function<double()>& loss,
                             double magnitude,
                             const GradientCheckOptions& o) {
  REQUIRE(values.size() == analytic.size());
  Index failures = 0;
  for (std::size_t j = 0; j < values.size(); ++j) {
    const float saved = values[j];
    bool passed = false;
    double numeric = 0;
    for (float step = o.step; !passed && step >= o.step / 16; step /= 4) {
      values[j] = saved + step;
      const double plus = loss();
      values[j] = saved - step;
      const double minus = loss();
      values[j] = saved;
      const double span = static_cast<double>(saved + step) - static_cast<double>(saved - step);
      numeric = (plus - minus) / span;
      const double noise = 8.0 * 0x1p-24 * magnitude / span;
      passed = std::abs(numeric - analytic[j]) <=
               o.absolute_tolerance + noise + o.relative_tolerance * std::abs(numeric);
    }
    if (!passed && ++failures <= 5)
      FAIL_CHECK(what << "[" << j << "]: analytic " << analytic[j] << ", numeric " << numeric);
  }
  CHECK_MESSAGE(failures == 0, what << ": " << failures << " of " << values.size() << " differ");
}

// Checks dL/dx and every parameter gradient of `module` at input x.
inline void check_gradients(Module& module,
                            const Tensor& x,
                            unsigned seed,
                            const GradientCheckOptions& o = {}) {
  std::vector<ParameterRef> params;
  module.collect_parameters("", params);
  for (ParameterRef& p : params) std::fill(p.grad.begin(), p.grad.end(), 0.0f);
  const Tensor y = module.forward_train(x);
  const Tensor r = random_tensor(y.n(), y.channels(), y.height(), y.width(), seed);
  const Tensor dx = module.backward(r);
  REQUIRE(dx.same_shape(x));
  for (const ParameterRef& p : params)
    if (!p.grad.empty()) REQUIRE(p.grad.size() == p.values.size());
  // Analytic gradients first: the loss evaluations below run forward_train again.
  std::vector<std::vector<float>> analytic;
  for (const ParameterRef& p : params) analytic.emplace_back(p.grad.begin(), p.grad.end());

  double magnitude = 0;
  for (Index k = 0; k < y.size(); ++k) magnitude += std::abs(y.data()[k] * r.data()[k]);
  Tensor probe = x;
  const auto loss = [&] {
    const double l = weighted_sum(module.forward_train(probe), r);
    module.backward(r);  // releases the cache (gradients already copied)
    return l;
  };
  compare_gradient("dL/dx", {probe.data(), static_cast<std::size_t>(probe.size())},
                   {dx.data(), static_cast<std::size_t>(dx.size())}, loss, magnitude, o);
  for (std::size_t k = 0; k < params.size(); ++k)
    if (!params[k].grad.empty())
      compare_gradient("dL/d" + params[k].name, params[k].values, analytic[k], loss, magnitude, o);
}

// A random tensor whose values keep at least `margin` away from zero (ReLU and max-pool inputs).
inline Tensor random_tensor_away_from_zero(
    Index n, Index c, Index h, Index w, unsigned seed, float margin = 0.1f) {
  Tensor t = random_tensor(n, c, h, w, seed);
  for (Index k = 0; k < t.size(); ++k)
    t.data()[k] = t.data()[k] < 0 ? t.data()[k] - margin : t.data()[k] + margin;
  return t;
}

}  // namespace pcmkit::nn::testing
