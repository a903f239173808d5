#include "pcmkit/analog/programmed_network.h"

#include <limits>
#include <utility>

#include "pcmkit/analog/drift_compensation.h"
#include "pcmkit/core/error.h"

namespace pcmkit::analog {
namespace {

// Every layer gets its own range of 2^36 device items (2 per weight).
constexpr int kItemBitsPerLayer = 36;

}  // namespace

bool AnalogMapping::maps_layer(std::size_t index, std::size_t count) const {
  return !((first_layer_digital && index == 0) || (last_layer_digital && index + 1 == count));
}

ProgrammedNetwork::ProgrammedNetwork(nn::Network& network,
                                     const device::PcmModel* model,
                                     const AnalogMapping& mapping,
                                     std::uint64_t seed)
    : network_(network),
      layers_(network.analog_layers()),
      mapping_(mapping),
      programmed_(layers_.size()),
      w_ref_(layers_.size()),
      w_t_(layers_.size()),
      alpha_(layers_.size(), 1.0),
      mapped_(layers_.size()),
      t_read_s_(std::numeric_limits<double>::quiet_NaN()) {
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    mapped_[l] = mapping_.maps_layer(l, layers_.size());
    if (!model || !mapped_[l]) continue;
    const nn::RowMatrixXf& w = layers_[l].layer->master_weight();
    programmed_[l] = std::make_unique<ProgrammedWeights>(
        *model, Eigen::Map<const Eigen::ArrayXf>(w.data(), w.size()), seed,
        static_cast<std::uint64_t>(l) << kItemBitsPerLayer);
    w_ref_[l] = programmed_[l]->read_weights(model->t0_s, kReferenceReadKey);
  }
}

void ProgrammedNetwork::read(double t_s) {
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    if (!programmed_[l]) continue;
    w_t_[l] = programmed_[l]->read_weights(t_s, read_key_at_time(t_s));
    alpha_[l] = global_drift_compensation(w_ref_[l], w_t_[l]);
  }
  t_read_s_ = t_s;
}

void ProgrammedNetwork::load(DriftCompensation compensation) const {
  const bool gdc = compensation == DriftCompensation::kGlobal;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    nn::AnalogLayer& layer = *layers_[l].layer;
    const nn::RowMatrixXf& master = layer.master_weight();
    const bool periphery = mapped_[l] && mapping_.periphery.enabled();
    if (!programmed_[l]) {  // kept digital, or the ideal device's fp32 weight on the crossbar
      layer.clear_effective_weight();
      if (periphery)
        layer.set_matrix_product(std::make_shared<CrossbarPeriphery>(
            mapping_.periphery, static_cast<double>(master.cwiseAbs().maxCoeff())));
      else
        layer.clear_matrix_product();
      continue;
    }
    PCMKIT_CHECK(w_t_[l].size() == master.size(), "ProgrammedNetwork::load before read()");
    const Eigen::Map<const nn::RowMatrixXf> read(w_t_[l].data(), master.rows(), master.cols());
    if (periphery) {  // W(t) on the crossbar, α after the ADC
      layer.set_effective_weight(read);
      layer.set_matrix_product(std::make_shared<CrossbarPeriphery>(
          mapping_.periphery, programmed_[l]->w_max(), gdc ? alpha_[l] : 1.0));
      continue;
    }
    layer.clear_matrix_product();
    const float a = gdc ? static_cast<float>(alpha_[l]) : 1.0f;
    nn::RowMatrixXf w = read * a;
    layer.set_effective_weight(std::move(w));
  }
}

void load_fp32_weights(nn::Network& network) {
  for (const nn::AnalogLayerRef& l : network.analog_layers()) {
    l.layer->clear_effective_weight();
    l.layer->clear_matrix_product();
  }
}

}  // namespace pcmkit::analog
