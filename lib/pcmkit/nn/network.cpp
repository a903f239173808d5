#include "pcmkit/nn/network.h"

#include <algorithm>
#include <exception>

#include "pcmkit/core/error.h"
#include "pcmkit/nn/batch_norm2d.h"

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
  const Index n = images.n();
  const Index num_tasks = (n + kImagesPerTask - 1) / kImagesPerTask;
  // BatchNorm statistics (AdaBS) are over the caller's whole batch and accumulate into the
  // module: then the body runs once, on the whole batch, with the layers' own parallel loops.
  bool whole_batch = num_tasks <= 1;
  for (const BatchNorm2d* bn : batch_norms()) whole_batch = whole_batch || bn->in_statistics_mode();
  if (whole_batch) return run_body(std::move(images));
  RowMatrixXf logits(n, num_classes_);
  std::exception_ptr error;
  // One task runs the whole body on kImagesPerTask images; the layers' own parallel loops are
  // nested and stay serial. An exception cannot leave the region: keep the first and rethrow.
#pragma omp parallel for schedule(dynamic, 1)
  for (Index task = 0; task < num_tasks; ++task) {
    try {
      const Index first = task * kImagesPerTask;
      const Index count = std::min(kImagesPerTask, n - first);
      Tensor part =
          Tensor::uninitialized(count, images.channels(), images.height(), images.width());
      std::copy_n(images.data() + first * images.image_size(), part.size(), part.data());
      logits.middleRows(first, count) = run_body(std::move(part));
    } catch (...) {
#pragma omp critical(pcmkit_nn_network_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
  return logits;
}

RowMatrixXf Network::run_body(Tensor images) {
  const Tensor out = body_->forward(std::move(images));
  PCMKIT_CHECK(out.image_size() == num_classes_, "Network: output is " + out.shape_text());
  return out.rows();
}

RowMatrixXf Network::forward_train(Tensor images) {
  PCMKIT_CHECK(images.channels() == in_channels_,
               "Network: images have " + std::to_string(images.channels()) +
                   " channels, expected " + std::to_string(in_channels_));
  const Tensor out = body_->forward_train(std::move(images));
  PCMKIT_CHECK(out.image_size() == num_classes_, "Network: output is " + out.shape_text());
  train_batch_size_ = out.n();
  return out.rows();
}

void Network::backward(const RowMatrixXf& dlogits) {
  PCMKIT_CHECK(train_batch_size_ >= 0, "Network::backward without forward_train");
  PCMKIT_CHECK(dlogits.rows() == train_batch_size_ && dlogits.cols() == num_classes_,
               "Network::backward: dlogits are " + std::to_string(dlogits.rows()) + " x " +
                   std::to_string(dlogits.cols()) + ", expected " +
                   std::to_string(train_batch_size_) + " x " + std::to_string(num_classes_));
  Tensor grad = Tensor::uninitialized(dlogits.rows(), num_classes_, 1, 1);
  grad.rows() = dlogits;
  train_batch_size_ = -1;
  body_->backward(std::move(grad));
}

void Network::zero_grad() {
  for (ParameterRef& p : parameters()) std::fill(p.grad.begin(), p.grad.end(), 0.0f);
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

std::vector<BatchNorm2d*> Network::batch_norms() {
  std::vector<BatchNorm2d*> out;
  body_->collect_batch_norms(out);
  return out;
}

}  // namespace pcmkit::nn
