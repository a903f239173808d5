#include "pcmkit/nn/linear.h"

#include <utility>

#include "pcmkit/core/error.h"

namespace pcmkit::nn {

Linear::Linear(Index in_features, Index out_features, bool bias) {
  PCMKIT_CHECK(in_features >= 1 && out_features >= 1, "Linear: invalid size");
  weight_.setZero(out_features, in_features);
  weight_grad_.setZero(out_features, in_features);
  if (bias) bias_.setZero(out_features);
  if (bias) bias_grad_.setZero(out_features);
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
  collect_weight_and_bias(prefix, {weight_.rows(), weight_.cols()}, out);
}

void Linear::collect_analog_layers(const std::string& prefix, std::vector<AnalogLayerRef>& out) {
  out.push_back({prefix, this});
}

Tensor Linear::forward_train(Tensor input) {
  Tensor output = forward(input);
  train_input_ = std::move(input);
  has_train_input_ = true;
  return output;
}

Tensor Linear::backward(Tensor grad_output) {
  PCMKIT_CHECK(has_train_input_, "Linear::backward without forward_train");
  PCMKIT_CHECK(grad_output.n() == train_input_.n() && grad_output.image_size() == out_features(),
               "Linear::backward: gradient " + grad_output.shape_text() + " for an output [" +
                   std::to_string(train_input_.n()) + ", " + std::to_string(out_features()) +
                   ", 1, 1]");
  const Eigen::Map<const RowMatrixXf> g = std::as_const(grad_output).rows();
  weight_grad_.noalias() += g.transpose() * std::as_const(train_input_).rows();
  if (has_bias()) bias_grad_ += g.colwise().sum().transpose();
  Tensor grad_input = Tensor::uninitialized(train_input_.n(), train_input_.channels(),
                                            train_input_.height(), train_input_.width());
  grad_input.rows().noalias() = g * forward_weight();
  train_input_ = Tensor();
  has_train_input_ = false;
  return grad_input;
}

}  // namespace pcmkit::nn
