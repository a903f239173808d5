// Winograd 3×3 convolution against a naive double-precision convolution, under error budgets
// relative to Σ|w·x| per output; Conv2d's Winograd path against its im2col + GEMM path.
#include "pcmkit/nn/winograd_conv3x3.h"

#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "pcmkit/core/error.h"
#include "pcmkit/nn/conv2d.h"

namespace pcmkit::nn {
namespace {

// The transforms multiply values by up to 5 (F(2×2): 2) before the fp32 products and sum up to
// 36 (16) terms after them; with K = 9·in ≤ 600 products, the observed error is below 3e-7 (F2)
// and 3e-6 (F4) of Σ|w·x| on these inputs. The budgets leave a factor of ~10.
constexpr double kWinograd2x2RelTolerance = 3e-6;
constexpr double kWinograd4x4RelTolerance = 3e-5;

struct Case {
  Index in, out, count, h, w;
};

// Largest |winograd − naive| / Σ|w·x| over all outputs.
double max_relative_error(WinogradTile tile, const Case& c, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  RowMatrixXf weight(c.out, c.in * 9);
  for (Index i = 0; i < weight.size(); ++i) weight.data()[i] = uniform(rng);
  std::vector<float> input(c.count * c.in * c.h * c.w), output(c.count * c.out * c.h * c.w, NAN);
  for (float& v : input) v = uniform(rng);
  const WinogradWeights transformed(weight, c.in, tile);
  winograd_conv3x3(transformed, input.data(), c.count, c.h, c.w, output.data());
  double worst = 0.0;
  for (Index i = 0; i < c.count; ++i)
    for (Index o = 0; o < c.out; ++o)
      for (Index y = 0; y < c.h; ++y)
        for (Index x = 0; x < c.w; ++x) {
          double sum = 0.0, magnitude = 0.0;
          for (Index ch = 0; ch < c.in; ++ch)
            for (Index ky = 0; ky < 3; ++ky)
              for (Index kx = 0; kx < 3; ++kx) {
                const Index iy = y + ky - 1, ix = x + kx - 1;
                if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
                const double term = double(weight(o, ch * 9 + ky * 3 + kx)) *
                                    input[((i * c.in + ch) * c.h + iy) * c.w + ix];
                sum += term;
                magnitude += std::abs(term);
              }
          const double got = output[((i * c.out + o) * c.h + y) * c.w + x];
          worst = std::max(worst, std::abs(got - sum) / (magnitude + 1e-30));
        }
  return worst;
}

// ResNet shapes (whole vectors of 16 planes and pixels) and ragged ones (remainder lanes,
// partial tiles, planes smaller than a tile).
const Case kCases[] = {{16, 16, 3, 32, 32}, {32, 32, 2, 16, 16}, {64, 64, 2, 8, 8},
                       {3, 5, 3, 7, 5},     {17, 9, 1, 9, 11},   {1, 1, 1, 1, 1},
                       {2, 3, 2, 2, 3},     {20, 33, 5, 6, 6}};

TEST_CASE("Winograd F(2x2,3x3) matches the naive convolution") {
  unsigned seed = 1;
  double worst = 0.0;
  for (const Case& c : kCases) {
    CAPTURE(c.in);
    CAPTURE(c.h);
    const double error = max_relative_error(WinogradTile::k2x2, c, seed++);
    worst = std::max(worst, error);
    CHECK(error <= kWinograd2x2RelTolerance);
  }
  MESSAGE("largest error / sum|w*x|: " << worst);
}

TEST_CASE("Winograd F(4x4,3x3) matches the naive convolution") {
  unsigned seed = 100;
  double worst = 0.0;
  for (const Case& c : kCases) {
    CAPTURE(c.in);
    CAPTURE(c.h);
    const double error = max_relative_error(WinogradTile::k4x4, c, seed++);
    worst = std::max(worst, error);
    CHECK(error <= kWinograd4x4RelTolerance);
  }
  MESSAGE("largest error / sum|w*x|: " << worst);
}

TEST_CASE("winograd_conv3x3 writes the same values with streaming stores, aligned or not") {
  // Every step of the epilogue, so that each store path (vectors and the ragged scalar tail) runs;
  // the output at a vector-aligned address and one float past it (the stores fall back).
  unsigned seed = 200;
  for (const WinogradTile tile : {WinogradTile::k2x2, WinogradTile::k4x4})
    for (const Case& c : kCases) {
      CAPTURE(c.in);
      CAPTURE(c.h);
      std::mt19937 rng(seed++);
      std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
      const auto random = [&](Index size) {
        Eigen::VectorXf v(size);
        for (float& x : v) x = uniform(rng);
        return v;
      };
      RowMatrixXf weight(c.out, c.in * 9);
      weight.reshaped<Eigen::RowMajor>() = random(weight.size());
      const WinogradWeights transformed(weight, c.in, tile);
      const Index size = c.count * c.out * c.h * c.w;
      const Eigen::VectorXf input = random(c.count * c.in * c.h * c.w), residual = random(size);
      const Eigen::VectorXf bias = random(c.out), scale = random(c.out), shift = random(c.out);
      WinogradEpilogue epilogue{bias.data(), scale.data(), shift.data(), residual.data(), true};
      Eigen::VectorXf cached(size);
      winograd_conv3x3(transformed, input.data(), c.count, c.h, c.w, cached.data(), epilogue);
      epilogue.streaming = true;
      for (const Index misalignment : {0, 1}) {
        Eigen::VectorXf streamed = Eigen::VectorXf::Constant(size + 1, NAN);
        winograd_conv3x3(transformed, input.data(), c.count, c.h, c.w,
                         streamed.data() + misalignment, epilogue);
        CHECK(streamed.segment(misalignment, size) == cached);
      }
    }
}

TEST_CASE("WinogradWeights requires an out x in*9 weight") {
  CHECK_THROWS_AS(WinogradWeights(RowMatrixXf::Zero(4, 10), 1, WinogradTile::k4x4), InternalError);
  CHECK_THROWS_AS(WinogradWeights(RowMatrixXf::Zero(4, 9), 0, WinogradTile::k2x2), InternalError);
}

Tensor random_tensor(Index n, Index c, Index h, Index w, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  Tensor t(n, c, h, w);
  for (Index i = 0; i < t.size(); ++i) t.data()[i] = uniform(rng);
  return t;
}

TEST_CASE("Conv2d's Winograd path matches im2col + GEMM, with the epilogue and a bias") {
  Conv2d conv(24, 16, 3, 1, 1, true);
  conv.master_weight() =
      random_tensor(1, 1, 16, 24 * 9, 3).rows().reshaped<Eigen::RowMajor>(16, 24 * 9);
  conv.bias() = Eigen::VectorXf::LinSpaced(16, -1.0f, 1.0f);
  const Tensor input = random_tensor(5, 24, 12, 12, 4), residual = random_tensor(5, 16, 12, 12, 5);
  const Eigen::VectorXf scale = Eigen::VectorXf::LinSpaced(16, 0.5f, 2.0f);
  const Eigen::VectorXf shift = Eigen::VectorXf::LinSpaced(16, -0.3f, 0.3f);
  const Conv2d::Epilogue epilogue{&scale, &shift, &residual, true};
  conv.set_algorithm(Conv2d::Algorithm::kIm2colGemm);
  const Tensor reference = conv.forward_fused(input, epilogue);
  for (const Conv2d::Algorithm algorithm :
       {Conv2d::Algorithm::kWinograd2x2, Conv2d::Algorithm::kWinograd4x4}) {
    conv.set_algorithm(algorithm);
    CHECK(conv.effective_algorithm() == algorithm);
    const Tensor out = conv.forward_fused(input, epilogue);
    // Σ|w·x| ≤ 216 here; 3e-5 of it (F(4×4) budget above) bounds the difference.
    CHECK((out.values() - reference.values()).cwiseAbs().maxCoeff() <= 216 * 3e-5);
  }
}

TEST_CASE("Conv2d's Winograd path follows in-place weight changes and ignores the thread count") {
  Conv2d conv(16, 16, 3, 1, 1);
  conv.set_algorithm(Conv2d::Algorithm::kWinograd4x4);
  conv.master_weight().setConstant(0.01f);
  const Tensor input = random_tensor(37, 16, 8, 8, 6);
  const Tensor first = conv.forward(input);
  conv.master_weight()(3, 7) = 1.0f;  // in place: the cached transform must be rebuilt
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const Tensor one_thread = conv.forward(input);
  omp_set_num_threads(2);
  const Tensor two_threads = conv.forward(input);
  omp_set_num_threads(3);  // 3 chunks of 12 or 13 images instead of 1 or 2 of 37 and 18
  const Tensor three_threads = conv.forward(input);
  omp_set_num_threads(threads);
  CHECK(one_thread.values() != first.values());
  CHECK(one_thread.values() == two_threads.values());
  CHECK(one_thread.values() == three_threads.values());
  conv.set_algorithm(Conv2d::Algorithm::kIm2colGemm);
  CHECK((conv.forward(input).values() - one_thread.values()).cwiseAbs().maxCoeff() <= 1e-4);
}

TEST_CASE("WinogradBatchSplit gives each thread as many chunks of nearly equal size") {
  // 64 channels of 8 x 8 (F(4x4): 10 x 10 padded, 6,400 floats an image): at most 20 images a
  // chunk, so 7 chunks for 128 images on one thread, and 8 on two or four.
  for (const int threads : {1, 2, 3, 4, 7}) {
    for (const Index n : {1, 2, 5, 37, 128, 1000}) {
      CAPTURE(threads);
      CAPTURE(n);
      const WinogradBatchSplit split(WinogradTile::k4x4, n, 64, 8, 8, threads);
      CHECK(split.first(0) == 0);
      CHECK(split.first(split.count) == n);
      if (n >= threads) CHECK(split.count % threads == 0);
      Index smallest = n, largest = 0;
      for (Index k = 0; k < split.count; ++k) {
        const Index size = split.first(k + 1) - split.first(k);
        smallest = std::min(smallest, size);
        largest = std::max(largest, size);
      }
      CHECK(smallest >= 1);
      CHECK(largest - smallest <= 1);
      CHECK(largest * 6400 <= kWinogradFloatsPerChunk);
    }
  }
  CHECK(WinogradBatchSplit(WinogradTile::k4x4, 128, 64, 8, 8, 1).count == 7);
  CHECK(WinogradBatchSplit(WinogradTile::k4x4, 128, 64, 8, 8, 2).count == 8);
  CHECK(WinogradBatchSplit(WinogradTile::k4x4, 128, 64, 8, 8, 3).count == 9);
  // One image larger than the budget is a chunk of its own.
  CHECK(WinogradBatchSplit(WinogradTile::k4x4, 3, 512, 32, 32, 1).count == 3);
}

TEST_CASE("Conv2d falls back to im2col + GEMM outside 3x3, stride 1, padding 1") {
  CHECK(Conv2d(4, 4, 3, 2, 1).effective_algorithm() == Conv2d::Algorithm::kIm2colGemm);
  CHECK(Conv2d(4, 4, 1, 1, 0).effective_algorithm() == Conv2d::Algorithm::kIm2colGemm);
  CHECK(Conv2d(4, 4, 3, 1, 0).effective_algorithm() == Conv2d::Algorithm::kIm2colGemm);
  CHECK(Conv2d(4, 4, 3, 1, 1).effective_algorithm() == Conv2d::kDefaultAlgorithm);
}

}  // namespace
}  // namespace pcmkit::nn
