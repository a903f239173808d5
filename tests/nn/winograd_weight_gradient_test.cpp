// Winograd weight gradient and the small register-blocked product against naive double-precision
// references, under error budgets relative to Σ|dy·x| per weight (Σ|a·b| per product value).
#include "pcmkit/nn/detail/winograd_weight_gradient.h"

#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <random>
#include <vector>

#include "pcmkit/core/error.h"
#include "pcmkit/nn/detail/winograd_transforms.h"

namespace pcmkit::nn {
namespace {

// Each weight sums n·h·w products; the transforms scale values by up to 8 (F(4×4): A has 8s,
// Gᵀ has 1/24) before the fp32 sums and cancel after them. Observed: 2.2e-7 (F2) and 1.5e-6
// (F4) of Σ|dy·x| on these inputs (uniform in [−1, 1]); the budgets leave a factor of ~10.
constexpr double kGradient2x2RelTolerance = 2e-6;
constexpr double kGradient4x4RelTolerance = 1.5e-5;
// small_gemm sums in fp32 with fused multiply-adds: depth ≤ 70 terms, ~depth·2⁻²⁴ at worst.
constexpr double kGemmRelTolerance = 1e-5;

struct Case {
  Index in, out, n, h, w;
};

std::vector<float> uniform_values(Index size, std::mt19937& rng) {
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> v(size);
  for (float& x : v) x = uniform(rng);
  return v;
}

double max_relative_error(WinogradTile tile, const Case& c, unsigned seed) {
  std::mt19937 rng(seed);
  const std::vector<float> x = uniform_values(c.n * c.in * c.h * c.w, rng);
  const std::vector<float> dy = uniform_values(c.n * c.out * c.h * c.w, rng);
  const RowMatrixXf dw =
      winograd_weight_gradient(tile, x.data(), dy.data(), c.n, c.in, c.out, c.h, c.w);
  REQUIRE(dw.rows() == c.out);
  REQUIRE(dw.cols() == c.in * 9);
  double worst = 0.0;
  for (Index o = 0; o < c.out; ++o)
    for (Index ch = 0; ch < c.in; ++ch)
      for (Index ky = 0; ky < 3; ++ky)
        for (Index kx = 0; kx < 3; ++kx) {
          double sum = 0.0, magnitude = 0.0;
          for (Index i = 0; i < c.n; ++i)
            for (Index y = 0; y < c.h; ++y)
              for (Index xx = 0; xx < c.w; ++xx) {
                const Index iy = y + ky - 1, ix = xx + kx - 1;
                if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
                const double term = double(dy[((i * c.out + o) * c.h + y) * c.w + xx]) *
                                    x[((i * c.in + ch) * c.h + iy) * c.w + ix];
                sum += term;
                magnitude += std::abs(term);
              }
          const double got = dw(o, ch * 9 + ky * 3 + kx);
          worst = std::max(worst, std::abs(got - sum) / (magnitude + 1e-30));
        }
  return worst;
}

// ResNet shapes (several chunks for the 16-channel one) and ragged ones (remainder lanes,
// partial tiles, planes smaller than a tile, one image).
const Case kCases[] = {{16, 16, 9, 32, 32}, {32, 32, 4, 16, 16}, {64, 64, 3, 8, 8},
                       {3, 5, 3, 7, 5},     {17, 9, 2, 9, 11},   {1, 1, 1, 1, 1},
                       {2, 3, 2, 2, 3},     {20, 33, 5, 6, 6}};

TEST_CASE("Winograd F(2x2,3x3) weight gradient matches the naive sum") {
  unsigned seed = 7;
  double worst = 0.0;
  for (const Case& c : kCases) {
    CAPTURE(c.in);
    CAPTURE(c.h);
    const double error = max_relative_error(WinogradTile::k2x2, c, seed++);
    worst = std::max(worst, error);
    CHECK(error <= kGradient2x2RelTolerance);
  }
  MESSAGE("largest error / sum|dy*x|: " << worst);
}

TEST_CASE("Winograd F(4x4,3x3) weight gradient matches the naive sum") {
  unsigned seed = 70;
  double worst = 0.0;
  for (const Case& c : kCases) {
    CAPTURE(c.in);
    CAPTURE(c.h);
    const double error = max_relative_error(WinogradTile::k4x4, c, seed++);
    worst = std::max(worst, error);
    CHECK(error <= kGradient4x4RelTolerance);
  }
  MESSAGE("largest error / sum|dy*x|: " << worst);
}

TEST_CASE("Winograd weight gradient is the same on 1 and 2 threads") {
  std::mt19937 rng(11);
  const Case c{16, 32, 13, 16, 16};
  REQUIRE(winograd_weight_gradient_images_per_chunk(WinogradTile::k4x4, c.n, c.in, c.out, c.h,
                                                    c.w) < c.n);  // several chunks
  const std::vector<float> x = uniform_values(c.n * c.in * c.h * c.w, rng);
  const std::vector<float> dy = uniform_values(c.n * c.out * c.h * c.w, rng);
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const RowMatrixXf one =
      winograd_weight_gradient(WinogradTile::k4x4, x.data(), dy.data(), c.n, c.in, c.out, c.h, c.w);
  omp_set_num_threads(2);
  const RowMatrixXf two =
      winograd_weight_gradient(WinogradTile::k4x4, x.data(), dy.data(), c.n, c.in, c.out, c.h, c.w);
  omp_set_num_threads(threads);
  CHECK(one == two);
}

TEST_CASE("winograd_weight_gradient's dL/dx is the flipped kernel's convolution, streamed or not") {
  // The second case's dL/dx (2^19 floats) is written with streaming stores, the first's is not;
  // both must equal winograd_conv3x3 of dL/dy with the flipped kernel, bit for bit.
  std::mt19937 rng(12);
  for (const Case& c : {Case{5, 7, 3, 9, 11}, Case{16, 16, 32, 32, 32}}) {
    CAPTURE(c.n);
    REQUIRE(winograd_streams_output(c.n * c.in * c.h * c.w) == (c.n == 32));
    const std::vector<float> x = uniform_values(c.n * c.in * c.h * c.w, rng);
    const std::vector<float> dy = uniform_values(c.n * c.out * c.h * c.w, rng);
    const std::vector<float> w = uniform_values(c.out * c.in * 9, rng);
    RowMatrixXf flipped_kernel(c.in, c.out * 9);
    for (Index o = 0; o < c.out; ++o)
      for (Index ch = 0; ch < c.in; ++ch)
        for (Index t = 0; t < 9; ++t)
          flipped_kernel(ch, o * 9 + 8 - t) = w[(o * c.in + ch) * 9 + t];
    const WinogradWeights flipped(flipped_kernel, c.out, WinogradTile::k4x4);
    std::vector<float> dx(x.size(), NAN), expected(x.size(), NAN);
    winograd_weight_gradient(WinogradTile::k4x4, x.data(), dy.data(), c.n, c.in, c.out, c.h, c.w,
                             &flipped, dx.data());
    winograd_conv3x3(flipped, dy.data(), c.n, c.h, c.w, expected.data());
    CHECK(dx == expected);
  }
}

TEST_CASE("winograd_weight_gradient requires a non-empty shape") {
  const float value = 1.0f;
  CHECK_THROWS_AS(winograd_weight_gradient(WinogradTile::k4x4, &value, &value, 0, 1, 1, 1, 1),
                  InternalError);
  CHECK_THROWS_AS(winograd_weight_gradient(WinogradTile::k2x2, &value, &value, 1, 1, 1, 0, 1),
                  InternalError);
}

TEST_CASE("Transpose16 transposes 16 vectors of 16 floats, in the unit's vector pieces") {
  using winograd_detail::kLanes;
  using winograd_detail::kVecLanes;
  const Index stride = 21;  // rows apart by more than a vector, unaligned
  std::vector<float> rows(kLanes * stride);
  for (Index k = 0; k < kLanes; ++k)
    for (Index l = 0; l < kLanes; ++l) rows[k * stride + l] = static_cast<float>(100 * k + l);
  const winograd_detail::Transpose16 transpose(rows.data() + 1, stride);
  bool transposed = true;
  for (Index j = 0; j < kLanes; ++j)
    for (Index p = 0; p < kLanes / kVecLanes; ++p)
      for (Index l = 0; l < kVecLanes; ++l)
        transposed =
            transposed && transpose.piece(j, p)[l] == rows[(p * kVecLanes + l) * stride + j + 1];
  CHECK(transposed);
}

TEST_CASE("small_gemm matches the naive product, transposed A and accumulation included") {
  std::mt19937 rng(5);
  // Columns: whole blocks of 64, 48, 32, 16 and a scalar remainder; rows: whole register blocks
  // and remainders of each size; depths: A's row strides of 16, 32 and 64 (kernels with
  // constant strides) and others (the general one).
  for (const Index cols : {1, 16, 37, 48, 64, 100, 144})
    for (const Index rows : {1, 5, 13, 29})
      for (const Index depth : {Index{16}, Index{32}, Index{64}, 23 + cols % 7}) {
        const std::vector<float> a = uniform_values(rows * depth, rng);
        const std::vector<float> b = uniform_values(depth * cols, rng);
        const std::vector<float> start = uniform_values(rows * cols, rng);
        for (const bool transposed : {false, true}) {
          for (const bool accumulate : {false, true}) {
            std::vector<float> c = start;
            // A (rows × depth) as row-major [rows][depth] or as the transpose of [depth][rows].
            const Index a_stride = transposed ? 1 : depth, a_depth = transposed ? rows : 1;
            winograd_detail::small_gemm(a.data(), a_stride, a_depth, b.data(), cols, c.data(), cols,
                                        rows, depth, cols, accumulate);
            double worst = 0.0;
            for (Index r = 0; r < rows; ++r)
              for (Index j = 0; j < cols; ++j) {
                double sum = accumulate ? start[r * cols + j] : 0.0, magnitude = std::abs(sum);
                for (Index k = 0; k < depth; ++k) {
                  const double term = double(a[r * a_stride + k * a_depth]) * b[k * cols + j];
                  sum += term;
                  magnitude += std::abs(term);
                }
                worst = std::max(worst, std::abs(c[r * cols + j] - sum) / (magnitude + 1e-30));
              }
            CAPTURE(cols);
            CAPTURE(rows);
            CAPTURE(depth);
            CAPTURE(transposed);
            CAPTURE(accumulate);
            CHECK(worst <= kGemmRelTolerance);
#if defined(__AVX512F__) || (defined(__AVX__) && defined(__FMA__))
            // The contract, exactly: the start value, then fused multiply-adds in increasing k
            // (where the unit fuses; without FMA the vectors round twice).
            bool exact = true;
            for (Index r = 0; r < rows; ++r)
              for (Index j = 0; j < cols; ++j) {
                float sum = accumulate ? start[r * cols + j] : 0.0f;
                for (Index k = 0; k < depth; ++k)
                  sum = std::fma(a[r * a_stride + k * a_depth], b[k * cols + j], sum);
                exact = exact && c[r * cols + j] == sum;
              }
            CHECK(exact);
#endif
          }
        }
      }
}

}  // namespace
}  // namespace pcmkit::nn
