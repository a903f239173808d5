#include "pcmkit/nn/batch_norm2d.h"

#include <cmath>
#include <vector>

#include "pcmkit/core/error.h"

namespace pcmkit::nn {

BatchNorm2d::BatchNorm2d(Index channels, float eps) : eps_(eps) {
  PCMKIT_CHECK(channels >= 1 && eps > 0.0f, "BatchNorm2d: invalid channels or eps");
  gamma_.setOnes(channels);
  beta_.setZero(channels);
  mean_.setZero(channels);
  var_.setOnes(channels);
  gamma_grad_.setZero(channels);
  beta_grad_.setZero(channels);
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
  out.push_back({join_name(prefix, "weight"), {c}, span(gamma_), true, span(gamma_grad_)});
  out.push_back({join_name(prefix, "bias"), {c}, span(beta_), true, span(beta_grad_)});
  out.push_back({join_name(prefix, "running_mean"), {c}, span(mean_), false, {}});
  out.push_back({join_name(prefix, "running_var"), {c}, span(var_), false, {}});
}

namespace {

// x̂ and γ·x̂ + β exactly as forward_train computes them, so that backward() recomputes the
// same values (and the same ReLU decisions) bit for bit: std::fma pins the rounding where the
// compiler could otherwise contract one site and not the other.
inline float normalized(float x, float mean, float inv_std) { return (x - mean) * inv_std; }
inline float affine(float x_hat, float gamma, float beta) {
#if defined(__FMA__)
  return std::fma(x_hat, gamma, beta);
#else
  return x_hat * gamma + beta;  // no FMA unit (portable build): never contracted, and no libm call
#endif
}

}  // namespace

Tensor BatchNorm2d::forward_train(Tensor input) { return train_pass(std::move(input), false); }

Tensor BatchNorm2d::forward_train_relu(Tensor input) { return train_pass(std::move(input), true); }

Tensor BatchNorm2d::train_pass(Tensor input, bool relu) {
  PCMKIT_CHECK(input.channels() == channels(),
               "BatchNorm2d: input has " + std::to_string(input.channels()) +
                   " channels, expected " + std::to_string(channels()));
  PCMKIT_CHECK(!collecting_, "BatchNorm2d::forward_train in statistics mode");
  const Index n = input.n(), area = input.plane_size(), count = n * area;
  PCMKIT_CHECK(count >= 2, "BatchNorm2d training needs at least 2 values per channel");
  Tensor output = Tensor::uninitialized(n, channels(), input.height(), input.width());
  batch_mean_.resize(channels());
  inv_std_.resize(channels());
  const Index num_channels = channels();
#pragma omp parallel for schedule(static)
  for (Index c = 0; c < num_channels; ++c) {
    // Vectorised float sums over each plane (≤ a few thousand values), accumulated in double
    // over the planes; the order is fixed, whatever the thread count.
    const auto plane = [&](Index i) {
      return Eigen::Map<const Eigen::ArrayXf>(input.data() + (i * num_channels + c) * area, area);
    };
    double mean = mean_[c], sum_sq = 0, variance = var_[c];
    if (!frozen_) {
      double sum = 0;
      for (Index i = 0; i < n; ++i) sum += plane(i).sum();
      mean = sum / static_cast<double>(count);
      const auto mean_of_batch = static_cast<float>(mean);
      for (Index i = 0; i < n; ++i) sum_sq += (plane(i) - mean_of_batch).square().sum();
      variance = sum_sq / static_cast<double>(count);  // biased, for normalising
    }
    const float mean_f = static_cast<float>(mean);
    const float inv_std = static_cast<float>(1.0 / std::sqrt(variance + static_cast<double>(eps_)));
    batch_mean_[c] = mean_f;
    inv_std_[c] = inv_std;
    const float gamma = gamma_[c], beta = beta_[c];
    for (Index i = 0; i < n; ++i) {
      const Index offset = (i * num_channels + c) * area;
      const float* x = input.data() + offset;
      float* y = output.data() + offset;
      if (relu) {
#pragma omp simd
        for (Index k = 0; k < area; ++k) {
          const float value = affine(normalized(x[k], mean_f, inv_std), gamma, beta);
          y[k] = value > 0.0f ? value : 0.0f;
        }
      } else {
#pragma omp simd
        for (Index k = 0; k < area; ++k)
          y[k] = affine(normalized(x[k], mean_f, inv_std), gamma, beta);
      }
    }
    if (!frozen_) {
      const double unbiased = sum_sq / static_cast<double>(count - 1);
      mean_[c] = static_cast<float>((1.0 - kMomentum) * mean_[c] + kMomentum * mean);
      var_[c] = static_cast<float>((1.0 - kMomentum) * var_[c] + kMomentum * unbiased);
    }
  }
  train_input_ = std::move(input);
  relu_after_ = relu;
  used_frozen_ = frozen_;
  has_train_cache_ = true;
  refresh();
  return output;
}

namespace {

// backward() plane by plane, x̂ recomputed from the input x; `relu`: g first goes through the
// ReLU that forward_train_relu() applied (zero where γ·x̂ + β ≤ 0). Templates, so that each
// variant's loops vectorise without a branch inside.
struct ChannelConstants {
  float mean, inv_std, gamma, beta;
};

template <bool relu>
float through_relu(float g_k, float x_hat, const ChannelConstants& k) {
  if constexpr (relu) return affine(x_hat, k.gamma, k.beta) > 0.0f ? g_k : 0.0f;
  return g_k;
}

// Σ g and Σ g·x̂ over one plane, in float (vectorised).
struct PlaneGradientSums {
  float g = 0.0f, g_x_hat = 0.0f;
};
template <bool relu>
PlaneGradientSums plane_gradient_sums(const float* x,
                                      const float* g,
                                      Index area,
                                      const ChannelConstants& k) {
  float plane_g = 0.0f, plane_g_x_hat = 0.0f;
#pragma omp simd reduction(+ : plane_g, plane_g_x_hat)
  for (Index i = 0; i < area; ++i) {
    const float x_hat = normalized(x[i], k.mean, k.inv_std);
    const float g_i = through_relu<relu>(g[i], x_hat, k);
    plane_g += g_i;
    plane_g_x_hat += g_i * x_hat;
  }
  return {plane_g, plane_g_x_hat};
}

// g ← factor·(g − mean_g − x̂·mean_g_x_hat), in place over one plane.
template <bool relu>
void plane_input_gradient(const float* x,
                          float* g,
                          Index area,
                          const ChannelConstants& k,
                          float factor,
                          float mean_g,
                          float mean_g_x_hat) {
#pragma omp simd
  for (Index i = 0; i < area; ++i) {
    const float x_hat = normalized(x[i], k.mean, k.inv_std);
    g[i] = factor * (through_relu<relu>(g[i], x_hat, k) - mean_g - x_hat * mean_g_x_hat);
  }
}

template <bool relu>
void backward_pass(const Tensor& x,
                   Tensor& g,
                   const std::vector<ChannelConstants>& constants,
                   bool batch_statistics,
                   Eigen::VectorXf& gamma_grad,
                   Eigen::VectorXf& beta_grad) {
  const Index n = x.n(), channels = x.channels(), area = x.plane_size();
  std::vector<PlaneGradientSums> sums(static_cast<std::size_t>(n * channels));
  Eigen::VectorXf factor(channels), mean_g(channels), mean_g_x_hat(channels);
  const auto plane = [&](Index i, Index c) { return (i * channels + c) * area; };
  const auto sums_at = [&](Index i, Index c) -> PlaneGradientSums& {
    return sums[static_cast<std::size_t>(i * channels + c)];
  };
  const auto constants_of = [&](Index c) -> const ChannelConstants& {
    return constants[static_cast<std::size_t>(c)];
  };
  // Image by image (each thread reads the images the layer before wrote, in long runs); the
  // plane sums are then added per channel in double, in image order, whatever the thread count.
#pragma omp parallel
  {
#pragma omp for schedule(static)
    for (Index i = 0; i < n; ++i)
      for (Index c = 0; c < channels; ++c)
        sums_at(i, c) = plane_gradient_sums<relu>(x.data() + plane(i, c), g.data() + plane(i, c),
                                                  area, constants_of(c));
#pragma omp single
    for (Index c = 0; c < channels; ++c) {
      double sum_g = 0, sum_g_x_hat = 0;
      for (Index i = 0; i < n; ++i) {
        sum_g += sums_at(i, c).g;
        sum_g_x_hat += sums_at(i, c).g_x_hat;
      }
      beta_grad[c] += static_cast<float>(sum_g);
      gamma_grad[c] += static_cast<float>(sum_g_x_hat);
      const double count = static_cast<double>(n * area);
      factor[c] = constants_of(c).gamma * constants_of(c).inv_std;
      // Frozen statistics: x̂ does not depend on the batch, dx = γ·inv_std·g.
      mean_g[c] = batch_statistics ? static_cast<float>(sum_g / count) : 0.0f;
      mean_g_x_hat[c] = batch_statistics ? static_cast<float>(sum_g_x_hat / count) : 0.0f;
    }
#pragma omp for schedule(static)
    for (Index i = 0; i < n; ++i)
      for (Index c = 0; c < channels; ++c)
        plane_input_gradient<relu>(x.data() + plane(i, c), g.data() + plane(i, c), area,
                                   constants_of(c), factor[c], mean_g[c], mean_g_x_hat[c]);
  }
}

}  // namespace

Tensor BatchNorm2d::backward(Tensor grad_output) {
  PCMKIT_CHECK(has_train_cache_, "BatchNorm2d::backward without forward_train");
  PCMKIT_CHECK(grad_output.same_shape(train_input_),
               "BatchNorm2d::backward: gradient " + grad_output.shape_text() + " for an output " +
                   train_input_.shape_text());
  std::vector<ChannelConstants> constants(static_cast<std::size_t>(channels()));
  for (Index c = 0; c < channels(); ++c)
    constants[static_cast<std::size_t>(c)] = {batch_mean_[c], inv_std_[c], gamma_[c], beta_[c]};
  if (relu_after_)
    backward_pass<true>(train_input_, grad_output, constants, !used_frozen_, gamma_grad_,
                        beta_grad_);
  else
    backward_pass<false>(train_input_, grad_output, constants, !used_frozen_, gamma_grad_,
                         beta_grad_);
  train_input_ = Tensor();
  has_train_cache_ = false;
  return grad_output;
}

}  // namespace pcmkit::nn
