#include "pcmkit/nn/network.h"

#include "pcmkit/core/error.h"

namespace pcmkit::nn {

Network::Network(std::string arch,
                 Index in_channels,
                 Index num_classes,
                 std::unique_ptr<Module> body)
    : arch_(std::move(arch)),
      in_channels_(in_channels),
      num_classes_(num_classes),
      body_(std::move(body)) {
  PCMKIT_CHECK(body_ != nullptr, "Network: no body");
}

RowMatrixXf Network::forward(Tensor images) {
  PCMKIT_CHECK(images.channels() == in_channels_,
               "Network: images have " + std::to_string(images.channels()) +
                   " channels, expected " + std::to_string(in_channels_));
  const Tensor out = body_->forward(std::move(images));
  PCMKIT_CHECK(out.image_size() == num_classes_, "Network: output is " + out.shape_text());
  return out.rows();
}

std::vector<ParameterRef> Network::parameters() {
  std::vector<ParameterRef> out;
  body_->collect_parameters("", out);
  return out;
}

std::vector<AnalogLayerRef> Network::analog_layers() {
  std::vector<AnalogLayerRef> out;
  body_->collect_analog_layers("", out);
  return out;
}

}  // namespace pcmkit::nn
