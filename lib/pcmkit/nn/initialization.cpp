#include "pcmkit/nn/initialization.h"

#include <cmath>

#include "pcmkit/core/error.h"
#include "pcmkit/core/random_stream.h"
#include "pcmkit/nn/batch_norm2d.h"
#include "pcmkit/nn/conv2d.h"
#include "pcmkit/nn/linear.h"

namespace pcmkit::nn {

void initialize_for_training(Network& network, std::uint64_t seed) {
  const CounterRng rng(seed, RandomStream::kWeightInit);
  const std::vector<AnalogLayerRef> layers = network.analog_layers();
  for (std::size_t item = 0; item < layers.size(); ++item) {
    AnalogLayer* layer = layers[item].layer;
    RowMatrixXf& w = layer->master_weight();
    const Index size = w.size();
    if (auto* conv = dynamic_cast<Conv2d*>(layer)) {
      const double fan_out =
          static_cast<double>(conv->out_channels() * conv->kernel_size() * conv->kernel_size());
      const double std_dev = std::sqrt(2.0 / fan_out);
      for (Index j = 0; j < size; ++j)
        w.data()[j] = static_cast<float>(std_dev * rng.normal(item, static_cast<std::uint64_t>(j)));
      if (conv->has_bias()) conv->bias().setZero();
    } else if (auto* linear = dynamic_cast<Linear*>(layer)) {
      const double bound = 1.0 / std::sqrt(static_cast<double>(linear->in_features()));
      const auto uniform = [&](Index draw) {
        return static_cast<float>(
            bound * (2.0 * rng.uniform(item, static_cast<std::uint64_t>(draw)) - 1.0));
      };
      for (Index j = 0; j < size; ++j) w.data()[j] = uniform(j);
      for (Index j = 0; j < linear->bias().size(); ++j) linear->bias()[j] = uniform(size + j);
    } else {
      PCMKIT_CHECK(false, "initialize_for_training: " + layers[item].name +
                              " is neither a Conv2d nor a Linear");
    }
  }
  for (BatchNorm2d* bn : network.batch_norms()) {
    bn->weight().setOnes();
    bn->bias().setZero();
    bn->running_mean().setZero();
    bn->running_var().setOnes();
  }
  network.refresh();
}

}  // namespace pcmkit::nn
