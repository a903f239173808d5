#include "pcmkit/nn/batch_norm2d.h"

#include <cmath>

#include "pcmkit/core/error.h"

namespace pcmkit::nn {

BatchNorm2d::BatchNorm2d(Index channels, float eps) : eps_(eps) {
  PCMKIT_CHECK(channels >= 1 && eps > 0.0f, "BatchNorm2d: invalid channels or eps");
  gamma_.setOnes(channels);
  beta_.setZero(channels);
  mean_.setZero(channels);
  var_.setOnes(channels);
  refresh();
}

void BatchNorm2d::refresh() {
  // Correctly rounded 1/sqrt, as PyTorch's CPU kernel (Eigen's vector rsqrt is approximate).
  scale_.resize(channels());
  shift_.resize(channels());
  for (Index c = 0; c < channels(); ++c) {
    scale_[c] = gamma_[c] * (1.0f / std::sqrt(var_[c] + eps_));
    shift_[c] = beta_[c] - mean_[c] * scale_[c];
  }
}

void BatchNorm2d::begin_statistics() {
  collecting_ = true;
  mean_sum_.setZero(channels());
  var_sum_.setZero(channels());
  num_batches_ = 0;
}

void BatchNorm2d::end_statistics() {
  collecting_ = false;
  if (num_batches_ == 0) return;
  mean_ = (mean_sum_ / static_cast<double>(num_batches_)).cast<float>();
  var_ = (var_sum_ / static_cast<double>(num_batches_)).cast<float>();
  refresh();
}

Tensor BatchNorm2d::forward(Tensor input) {
  PCMKIT_CHECK(input.channels() == channels(),
               "BatchNorm2d: input has " + std::to_string(input.channels()) +
                   " channels, expected " + std::to_string(channels()));
  const Index n = input.n();
  if (collecting_) {
    // Batch statistics per channel, in double and in a fixed order (thread-count independent).
    const Index count = n * input.plane_size();
    PCMKIT_CHECK(count >= 2, "BatchNorm2d statistics need at least 2 values per channel");
    Eigen::VectorXf scale(channels()), shift(channels());
    for (Index c = 0; c < channels(); ++c) {
      double sum = 0, sum_sq = 0;
      for (Index i = 0; i < n; ++i) {
        const auto row = input.image(i).row(c);
        for (Index k = 0; k < row.size(); ++k) sum += row[k];
      }
      const double mean = sum / static_cast<double>(count);
      for (Index i = 0; i < n; ++i) {
        const auto row = input.image(i).row(c);
        for (Index k = 0; k < row.size(); ++k) sum_sq += (row[k] - mean) * (row[k] - mean);
      }
      const double biased = sum_sq / static_cast<double>(count);
      mean_sum_[c] += mean;
      var_sum_[c] += sum_sq / static_cast<double>(count - 1);
      scale[c] = static_cast<float>(gamma_[c] / std::sqrt(biased + eps_));
      shift[c] = static_cast<float>(beta_[c] - mean * scale[c]);
    }
    ++num_batches_;
#pragma omp parallel for schedule(static)
    for (Index i = 0; i < n; ++i) {
      Eigen::Map<RowMatrixXf> image = input.image(i);
      image = (image.array().colwise() * scale.array()).colwise() + shift.array();
    }
    return input;
  }
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i) {
    Eigen::Map<RowMatrixXf> image = input.image(i);
    image = (image.array().colwise() * scale_.array()).colwise() + shift_.array();
  }
  return input;
}

void BatchNorm2d::collect_parameters(const std::string& prefix, std::vector<ParameterRef>& out) {
  const Index c = channels();
  const auto span = [](Eigen::VectorXf& v) {
    return std::span<float>(v.data(), static_cast<std::size_t>(v.size()));
  };
  out.push_back({join_name(prefix, "weight"), {c}, span(gamma_), true});
  out.push_back({join_name(prefix, "bias"), {c}, span(beta_), true});
  out.push_back({join_name(prefix, "running_mean"), {c}, span(mean_), false});
  out.push_back({join_name(prefix, "running_var"), {c}, span(var_), false});
}

}  // namespace pcmkit::nn
