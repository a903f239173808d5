#include "pcmkit/nn/linear.h"

#include "pcmkit/core/error.h"

namespace pcmkit::nn {

Linear::Linear(Index in_features, Index out_features, bool bias) {
  PCMKIT_CHECK(in_features >= 1 && out_features >= 1, "Linear: invalid size");
  weight_.setZero(out_features, in_features);
  if (bias) bias_.setZero(out_features);
}

Tensor Linear::forward(Tensor input) {
  PCMKIT_CHECK(input.image_size() == in_features(),
               "Linear: input has " + std::to_string(input.image_size()) + " features, expected " +
                   std::to_string(in_features()));
  Tensor output(input.n(), out_features(), 1, 1);
  Eigen::Map<RowMatrixXf> out = output.rows();
  if (const MatrixProduct* unit = matrix_product()) {
    const RowMatrixXf inputs = input.rows().transpose();  // one sample per column
    RowMatrixXf products(out_features(), input.n());
    unit->multiply(forward_weight(), inputs, products);
    out = products.transpose();
  } else {
    out.noalias() = input.rows() * forward_weight().transpose();
  }
  if (has_bias()) out.rowwise() += bias_.transpose();
  return output;
}

void Linear::collect_parameters(const std::string& prefix, std::vector<ParameterRef>& out) {
  out.push_back({join_name(prefix, "weight"),
                 {weight_.rows(), weight_.cols()},
                 {weight_.data(), static_cast<std::size_t>(weight_.size())},
                 true});
  if (has_bias())
    out.push_back({join_name(prefix, "bias"),
                   {bias_.size()},
                   {bias_.data(), static_cast<std::size_t>(bias_.size())},
                   true});
}

void Linear::collect_analog_layers(const std::string& prefix, std::vector<AnalogLayerRef>& out) {
  out.push_back({prefix, this});
}

}  // namespace pcmkit::nn
