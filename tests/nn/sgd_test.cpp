// SGD against hand-computed torch.optim.SGD updates; weight-decay exclusion; momentum buffers.
#include "pcmkit/nn/sgd.h"

#include <doctest/doctest.h>

#include <vector>

#include "pcmkit/core/error.h"

namespace pcmkit::nn {
namespace {

// One scalar weight and one bias-like (rank-1) value, with their gradients.
struct Params {
  std::vector<float> w{1.0f}, w_grad{0.5f}, b{1.0f}, b_grad{0.5f}, stat{3.0f};
  std::vector<ParameterRef> refs() {
    return {{"conv.weight", {1, 1, 1, 1}, w, true, w_grad},
            {"bn.bias", {1}, b, true, b_grad},
            {"bn.running_mean", {1}, stat, false, {}}};
  }
};

TEST_CASE("SGD with Nesterov momentum and weight decay follows torch.optim.SGD") {
  // g = 0.5 both steps, w₀ = 1, η = 0.1, μ = 0.9, λ = 0.1:
  //   d = 0.6, b = 0.6, d = 0.6 + 0.54 = 1.14, w = 0.886;
  //   d = 0.5886, b = 0.54 + 0.5886 = 1.1286, d = 0.5886 + 1.01574 = 1.60434, w = 0.725566.
  Params p;
  SgdOptions o;
  o.momentum = 0.9;
  o.nesterov = true;
  o.weight_decay = 0.1;
  Sgd sgd(p.refs(), o);
  CHECK(sgd.parameters().size() == 2);  // the running statistic is not a parameter
  sgd.step(0.1);
  CHECK(p.w[0] == doctest::Approx(0.886).epsilon(1e-6));
  sgd.step(0.1);
  CHECK(p.w[0] == doctest::Approx(0.725566).epsilon(1e-6));
  CHECK(p.b[0] == p.w[0]);  // decayed too by default
  CHECK(p.stat[0] == 3.0f);
}

TEST_CASE("SGD with plain momentum follows torch.optim.SGD") {
  // d = 0.6, b = 0.6, w = 0.94; d = 0.594, b = 0.54 + 0.594 = 1.134, w = 0.94 − 0.1134 = 0.8266.
  Params p;
  SgdOptions o;
  o.momentum = 0.9;
  o.weight_decay = 0.1;
  Sgd sgd(p.refs(), o);
  sgd.step(0.1);
  CHECK(p.w[0] == doctest::Approx(0.94).epsilon(1e-6));
  sgd.step(0.1);
  CHECK(p.w[0] == doctest::Approx(0.8266).epsilon(1e-6));
}

TEST_CASE("SGD can exclude BatchNorm parameters and biases from weight decay") {
  Params p;
  SgdOptions o;
  o.momentum = 0.0;
  o.weight_decay = 0.1;
  o.decay_batch_norm_and_bias = false;
  Sgd sgd(p.refs(), o);
  CHECK(sgd.momentum_buffers().empty());
  sgd.step(0.1);
  CHECK(p.w[0] == doctest::Approx(1.0 - 0.1 * 0.6).epsilon(1e-7));
  CHECK(p.b[0] == doctest::Approx(1.0 - 0.1 * 0.5).epsilon(1e-7));
}

TEST_CASE("Restored momentum buffers continue the run exactly") {
  SgdOptions o;
  o.nesterov = true;
  o.weight_decay = 5e-4;
  Params straight, after_one;
  Sgd a(straight.refs(), o);
  a.step(0.1);
  std::vector<std::vector<float>> saved;  // a checkpoint: copies, the spans follow the optimiser
  for (const MomentumBufferRef& m : a.momentum_buffers())
    saved.emplace_back(m.values.begin(), m.values.end());
  REQUIRE(saved.size() == 2);
  CHECK(a.momentum_buffers()[0].name == "conv.weight");
  CHECK(a.momentum_buffers()[1].name == "bn.bias");
  a.step(0.05);

  Sgd one(after_one.refs(), o);
  one.step(0.1);
  Params resumed;
  resumed.w = after_one.w;
  resumed.b = after_one.b;
  Sgd b(resumed.refs(), o);
  std::vector<MomentumBufferRef> target = b.momentum_buffers();
  for (std::size_t k = 0; k < target.size(); ++k)
    std::copy(saved[k].begin(), saved[k].end(), target[k].values.begin());
  b.step(0.05);
  CHECK(resumed.w == straight.w);
  CHECK(resumed.b == straight.b);
}

TEST_CASE("SgdOptions::validate names the bad field") {
  const auto field_of = [](SgdOptions o) {
    try {
      o.validate();
    } catch (const InputError& e) {
      return e.field();
    }
    return std::string();
  };
  SgdOptions o;
  o.momentum = 1.0;
  CHECK(field_of(o) == "momentum");
  o = {};
  o.momentum = 0.0;
  o.nesterov = true;
  CHECK(field_of(o) == "nesterov");
  o = {};
  o.weight_decay = -1e-4;
  CHECK(field_of(o) == "weight_decay");
  CHECK(field_of(SgdOptions{}).empty());
}

}  // namespace
}  // namespace pcmkit::nn
