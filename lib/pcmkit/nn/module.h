// The building block of networks: a module maps a batch tensor to a batch tensor and owns named
// parameters (PyTorch state_dict keys). Sequential composes modules; AnalogLayer is the part of
// Conv2d and Linear that the PCM mapping and weight-noise injection act on.
//
// Evaluation and training share these modules: forward() is the evaluation pass (BatchNorm uses
// running statistics); forward_train() is the training pass, which caches what backward() needs,
// and backward() maps dL/d(output) to dL/d(input) while accumulating parameter gradients.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "pcmkit/nn/matrix_product.h"
#include "pcmkit/nn/tensor.h"

namespace pcmkit::nn {

class BatchNorm2d;

// A view of one parameter or buffer, named and shaped as in PyTorch's state_dict. `values` points
// into the module that owns it (valid while the module lives) in PyTorch's row-major order.
struct ParameterRef {
  std::string name;          // e.g. "layer1.0.bn1.running_var"
  std::vector<Index> shape;  // e.g. {16}; {16, 3, 3, 3} for a conv weight
  std::span<float> values;   // product(shape) floats
  bool trainable = true;     // false for BatchNorm running statistics
  // dL/d(values), the same size, accumulated by Module::backward(); empty for buffers (running
  // statistics). Lives as long as the module; zeroed at construction and by Network::zero_grad().
  std::span<float> grad;
};

// A layer whose weight lives on a crossbar (every Conv2d and Linear). It keeps the fp32 master
// weight, as out_features × fan_in (PyTorch's layout flattened), and an optional effective
// weight of the same shape that forward() uses instead when set (the PCM read-out, or a noisy
// copy), and an optional matrix-product unit (matrix_product.h) that forward() computes
// W · x with instead of the plain GEMM when set (DAC, ADC and crossbar tiles). In training,
// forward_train() and backward() compute activations and dL/d(input) with that same
// forward_weight() (the plain GEMM: the unit is for evaluation), and the weight gradient
// accumulates into master_weight_grad(): the optimiser updates the clean master weight
// (weight-noise injection, Joshi et al. 2020). The effective weight is a copy: after each
// optimiser step it is stale until set again.
class AnalogLayer {
 public:
  virtual ~AnalogLayer() = default;
  RowMatrixXf& master_weight() { return weight_; }
  const RowMatrixXf& master_weight() const { return weight_; }
  // Sets the weight forward() uses. Requires: w has the master weight's shape (PCMKIT_CHECK).
  void set_effective_weight(RowMatrixXf w);
  void clear_effective_weight() { effective_.reset(); }
  bool has_effective_weight() const { return effective_.has_value(); }
  // The weight forward() computes with: the effective weight when set, else the master weight.
  const RowMatrixXf& forward_weight() const { return effective_ ? *effective_ : weight_; }
  // dL/d(master weight), the master weight's shape; accumulated by backward().
  RowMatrixXf& master_weight_grad() { return weight_grad_; }
  const RowMatrixXf& master_weight_grad() const { return weight_grad_; }
  // The digital bias added after the product (out_features values), empty when the layer has
  // none, and its gradient (the same size).
  bool has_bias() const { return bias_.size() > 0; }
  Eigen::VectorXf& bias() { return bias_; }
  Eigen::VectorXf& bias_grad() { return bias_grad_; }
  // Sets the unit forward() computes its product with. Ownership is shared with the caller.
  void set_matrix_product(std::shared_ptr<const MatrixProduct> unit) { product_ = std::move(unit); }
  void clear_matrix_product() { product_.reset(); }
  // The unit set, or null (then forward() uses the plain GEMM).
  const MatrixProduct* matrix_product() const { return product_.get(); }

 protected:
  // Appends "<prefix>.weight" (the master weight, named with PyTorch's `weight_shape`) and, with a
  // bias, "<prefix>.bias": every analog layer's collect_parameters.
  void collect_weight_and_bias(const std::string& prefix,
                               std::vector<Index> weight_shape,
                               std::vector<ParameterRef>& out);

  RowMatrixXf weight_;
  RowMatrixXf weight_grad_;  // sized with weight_ by the layer's constructor
  Eigen::VectorXf bias_;
  Eigen::VectorXf bias_grad_;

 private:
  std::optional<RowMatrixXf> effective_;
  std::shared_ptr<const MatrixProduct> product_;
};

struct AnalogLayerRef {
  std::string name;  // the module's state_dict prefix, e.g. "layer2.0.conv1"
  AnalogLayer* layer;
};

class Module {
 public:
  virtual ~Module() = default;
  // Evaluation pass. The input is taken by value so that element-wise modules work in place:
  // pass std::move(x) when x is no longer needed.
  // Threads: OpenMP inside; results never depend on the thread count. Concurrent calls on
  //   different inputs are safe (Network::forward runs tasks of images in parallel): forward()
  //   changes no member.
  virtual Tensor forward(Tensor input) = 0;
  // Training pass: as forward(), except that BatchNorm normalises with the batch's statistics and
  // updates its running statistics, and every module caches what backward() needs (its input or
  // output). The batch is processed whole.
  // Requires: the module supports training (every layer of this folder does; the default
  //   implementation fails PCMKIT_CHECK).
  // Threads: OpenMP inside layers, results never depend on the thread count. Not reentrant: it
  //   overwrites the module's cache.
  virtual Tensor forward_train(Tensor input);
  // Backward pass of the last forward_train(): returns dL/d(input) for dL/d(output) =
  //   grad_output and ADDS dL/d(parameter) to each parameter's gradient (ParameterRef::grad).
  // Requires: forward_train() ran since the last backward(), and grad_output has the shape of
  //   its output (PCMKIT_CHECK). The cache is released.
  // Threads: OpenMP over fixed chunks of images; per-chunk parameter gradients are summed in
  //   chunk order, so results are bit-identical for any thread count.
  virtual Tensor backward(Tensor grad_output);
  // Appends this module's parameters and buffers, their names prefixed by `prefix`.
  virtual void collect_parameters(const std::string& prefix, std::vector<ParameterRef>& out);
  // Appends this module's analog layers (itself, or its children's).
  virtual void collect_analog_layers(const std::string& prefix, std::vector<AnalogLayerRef>& out);
  // Appends this module's BatchNorm layers (itself, or its children's), in module order.
  virtual void collect_batch_norms(std::vector<BatchNorm2d*>& out);
  // Recomputes state derived from parameters (BatchNorm's folded scale and shift). Call after
  // changing parameters through ParameterRef.
  virtual void refresh() {}
};

// "prefix" + "." + "name", or "name" when prefix is empty.
std::string join_name(const std::string& prefix, const std::string& name);

// Children run in order; a child's parameters are named "<child name>.<parameter>".
class Sequential : public Module {
 public:
  // Adds a child and returns it. Ownership passes to this Sequential.
  template <typename M, typename... Args>
  M& emplace(std::string name, Args&&... args) {
    auto module = std::make_unique<M>(std::forward<Args>(args)...);
    M& ref = *module;
    children_.emplace_back(std::move(name), std::move(module));
    return ref;
  }
  void add(std::string name, std::unique_ptr<Module> module) {
    children_.emplace_back(std::move(name), std::move(module));
  }
  std::size_t size() const { return children_.size(); }
  Module& child(std::size_t k) { return *children_[k].second; }

  Tensor forward(Tensor input) override;
  Tensor forward_train(Tensor input) override;
  // Children's backward() in reverse order.
  Tensor backward(Tensor grad_output) override;
  void collect_parameters(const std::string& prefix, std::vector<ParameterRef>& out) override;
  void collect_analog_layers(const std::string& prefix, std::vector<AnalogLayerRef>& out) override;
  void collect_batch_norms(std::vector<BatchNorm2d*>& out) override;
  void refresh() override;

 private:
  std::vector<std::pair<std::string, std::unique_ptr<Module>>> children_;
};

}  // namespace pcmkit::nn
