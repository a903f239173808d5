// The network-on-PCM mapping of one realisation: what each layer holds after load(), which layers
// stay digital, and reads keyed by the time's value. Known answers come from the mapping's
// definition (ProgrammedWeights of the same layer and seed), not from ProgrammedNetwork itself.
#include "pcmkit/analog/programmed_network.h"

#include <doctest/doctest.h>

#include "pcmkit/analog/drift_compensation.h"
#include "pcmkit/core/error.h"
#include "pcmkit/nn/initialization.h"
#include "pcmkit/nn/resnet.h"

using namespace pcmkit;

namespace {

nn::Network small_network() {
  nn::Network network = nn::make_resnet("resnet20");
  nn::initialize_for_training(network, 7);
  return network;
}

Eigen::ArrayXf flat(const nn::RowMatrixXf& w) {
  return Eigen::Map<const Eigen::ArrayXf>(w.data(), w.size());
}

}  // namespace

TEST_CASE("each layer holds its own ProgrammedWeights read at the time, GDC scales by alpha") {
  nn::Network network = small_network();
  const device::PcmModel model = device::PcmModel::published();
  analog::ProgrammedNetwork programmed(network, &model, {}, 11);
  programmed.read(86400.0);
  const auto layers = network.analog_layers();
  for (std::size_t l : {std::size_t{0}, std::size_t{5}, layers.size() - 1}) {
    const nn::RowMatrixXf& master = layers[l].layer->master_weight();
    // The documented item range of layer l: l·2^36.
    const analog::ProgrammedWeights alone(model, flat(master), 11, std::uint64_t{l} << 36);
    const Eigen::ArrayXf w_day = alone.read_weights(86400.0, analog::read_key_at_time(86400.0));
    const Eigen::ArrayXf w_ref = alone.read_weights(model.t0_s, analog::kReferenceReadKey);
    programmed.load(analog::DriftCompensation::kNone);
    CHECK((flat(layers[l].layer->forward_weight()) == w_day).all());
    const double alpha = analog::global_drift_compensation(w_ref, w_day);
    CHECK(programmed.gdc_factors()[l] == alpha);
    CHECK(alpha > 1.0);  // drift lowers every conductance
    programmed.load(analog::DriftCompensation::kGlobal);
    CHECK((flat(layers[l].layer->forward_weight()) == w_day * static_cast<float>(alpha)).all());
  }
  programmed.unload();
  for (const auto& l : layers) CHECK_FALSE(l.layer->has_effective_weight());
}

TEST_CASE("a read depends on the time's value, not on the reads before it") {
  nn::Network network = small_network();
  const device::PcmModel model = device::PcmModel::published();
  analog::ProgrammedNetwork a(network, &model, {}, 3), b(network, &model, {}, 3);
  a.read(86400.0);
  b.read(25.0);
  b.read(3600.0);
  b.read(86400.0);
  const auto layers = network.analog_layers();
  a.load(analog::DriftCompensation::kGlobal);
  const nn::RowMatrixXf from_a = layers[3].layer->forward_weight();
  b.load(analog::DriftCompensation::kGlobal);
  CHECK(layers[3].layer->forward_weight() == from_a);
  // Another time is another read: different noise even where drift is negligible.
  b.read(86400.0 * (1 + 1e-12));
  b.load(analog::DriftCompensation::kNone);
  const nn::RowMatrixXf later = layers[3].layer->forward_weight();
  a.load(analog::DriftCompensation::kNone);
  CHECK_FALSE(layers[3].layer->forward_weight() == later);
  CHECK(analog::read_key_at_time(25.0) != analog::read_key_at_time(25.000000001));
  CHECK(analog::read_key_at_time(25.0) != analog::kReferenceReadKey);
  CHECK(analog::read_key_at_time(25.0) < (std::uint64_t{1} << 48));  // a draw index keeps 48 bits
}

TEST_CASE("kept-digital layers and the ideal device compute with the fp32 weights") {
  nn::Network network = small_network();
  const device::PcmModel model = device::PcmModel::published();
  analog::AnalogMapping mapping;
  mapping.first_layer_digital = true;
  mapping.last_layer_digital = true;
  analog::ProgrammedNetwork programmed(network, &model, mapping, 5);
  programmed.read(3600.0);
  programmed.load(analog::DriftCompensation::kGlobal);
  const auto layers = network.analog_layers();
  CHECK_FALSE(layers.front().layer->has_effective_weight());
  CHECK_FALSE(layers.back().layer->has_effective_weight());
  CHECK(layers[1].layer->has_effective_weight());
  CHECK(programmed.gdc_factors().front() == 1.0);

  analog::ProgrammedNetwork ideal(network, nullptr, {}, 5);
  ideal.load(analog::DriftCompensation::kGlobal);
  for (const auto& l : layers) {
    CHECK_FALSE(l.layer->has_effective_weight());
    CHECK(l.layer->matrix_product() == nullptr);
  }
  CHECK_THROWS_AS(programmed.read(model.t0_s / 2), InputError);
}
