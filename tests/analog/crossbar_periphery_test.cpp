// The crossbar periphery (tiles, DAC, ADC) against a naive reference written here from the
// header's definition, in double, one input vector, tile and output at a time; through the
// matrix-product unit directly and through Conv2d (im2col done here by hand) and Linear.
#include "pcmkit/analog/crossbar_periphery.h"

#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <random>

#include "pcmkit/core/error.h"
#include "pcmkit/nn/conv2d.h"
#include "pcmkit/nn/linear.h"

namespace pcmkit::analog {
namespace {

using nn::Index;
using nn::RowMatrixXf;

RowMatrixXf uniform(Index rows, Index cols, unsigned seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  RowMatrixXf m(rows, cols);
  for (Index k = 0; k < m.size(); ++k) m.data()[k] = u(rng);
  return m;
}

// Multiples of 1/8 in [-1, 1]: with a 2-bit DAC (codes −1, 0, 1) every crossbar sum is exact in
// float, whatever the order, so the ADC codes of the layer and of the reference must agree.
RowMatrixXf eighths(Index rows, Index cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> u(-8, 8);
  RowMatrixXf m(rows, cols);
  for (Index k = 0; k < m.size(); ++k) m.data()[k] = static_cast<float>(u(rng)) / 8.0f;
  return m;
}

// The split as stated in the header: n = ⌈size / max⌉, the first size mod n parts one longer.
std::vector<Index> reference_split(Index size, Index max_size) {
  const Index n = max_size == 0 ? 1 : std::max<Index>(1, (size + max_size - 1) / max_size);
  std::vector<Index> parts;
  for (Index k = 0; k < n; ++k) parts.push_back(size / n + (k < size % n ? 1 : 0));
  return parts;
}

// The header's definition for one input vector x, in double.
Eigen::VectorXd reference_vector(const RowMatrixXf& w,
                                 const Eigen::VectorXd& x,
                                 const PeripheryOptions& o,
                                 double w_max,
                                 double alpha) {
  const bool dac = o.dac_bits > 0, adc = o.adc_bits > 0;
  const double l_in = dac ? std::pow(2.0, o.dac_bits - 1) - 1 : 1.0;
  const double l_out = adc ? std::pow(2.0, o.adc_bits - 1) - 1 : 0.0;
  Eigen::VectorXd out = Eigen::VectorXd::Zero(w.rows());
  Index r0 = 0;
  for (const Index nr : reference_split(w.cols(), o.tile_rows)) {
    double s = 0;
    for (Index j = r0; j < r0 + nr; ++j) s = std::max(s, std::abs(x[j]));
    Index o0 = 0;
    for (const Index no : reference_split(w.rows(), o.tile_cols)) {
      for (Index i = o0; i < o0 + no; ++i) {
        if (!dac && !adc) {
          for (Index j = r0; j < r0 + nr; ++j) out[i] += w(i, j) * x[j];
          continue;
        }
        if (s == 0) continue;
        double a = 0;
        for (Index j = r0; j < r0 + nr; ++j)
          a += w(i, j) * (dac ? std::nearbyint(x[j] / s * l_in) : x[j] / s);
        if (!adc) {
          out[i] += a * s / l_in;
          continue;
        }
        const double y = a / (l_in * w_max);
        const double c = std::clamp(std::nearbyint(y * l_out / o.adc_range), -l_out, l_out);
        out[i] += c * o.adc_range / l_out * w_max * s;
      }
      o0 += no;
    }
    r0 += nr;
  }
  return alpha * out;
}

RowMatrixXf reference(const RowMatrixXf& w,
                      const RowMatrixXf& inputs,
                      const PeripheryOptions& o,
                      double w_max,
                      double alpha = 1.0) {
  RowMatrixXf out(w.rows(), inputs.cols());
  for (Index j = 0; j < inputs.cols(); ++j)
    out.col(j) = reference_vector(w, inputs.col(j).cast<double>(), o, w_max, alpha).cast<float>();
  return out;
}

RowMatrixXf apply(const CrossbarPeriphery& unit, const RowMatrixXf& w, const RowMatrixXf& x) {
  RowMatrixXf out(w.rows(), x.cols());
  unit.multiply(w, x, out);
  return out;
}

double w_max_of(const RowMatrixXf& w) { return static_cast<double>(w.cwiseAbs().maxCoeff()); }

// Float sums of ≤ 300 terms against double: ≤ 300·2⁻²⁴ of Σ|w·x| ≤ 300 (|w|, |x| ≤ 1).
constexpr float kSumTolerance = 1e-3f;

}  // namespace

TEST_CASE("converter levels: 2^(bits-1) - 1 per polarity, for 2 to 24 bits") {
  CHECK(converter_levels(2) == 1);
  CHECK(converter_levels(8) == 127);
  CHECK(converter_levels(24) == 8388607);
  CHECK_THROWS_AS(converter_levels(1), InternalError);
  CHECK_THROWS_AS(converter_levels(25), InternalError);
}

TEST_CASE("converter codes round half to even and clip at the last level") {
  CHECK(converter_code(0.5f, 1.0f, 127.0f) == 0.0f);
  CHECK(converter_code(1.5f, 1.0f, 127.0f) == 2.0f);
  CHECK(converter_code(2.5f, 1.0f, 127.0f) == 2.0f);
  CHECK(converter_code(-2.5f, 1.0f, 127.0f) == -2.0f);
  CHECK(converter_code(2.51f, 1.0f, 127.0f) == 3.0f);
  CHECK(converter_code(0.3f, 127.0f, 127.0f) == 38.0f);  // 38.1 → 38
  CHECK(converter_code(1.0f, 127.0f, 127.0f) == 127.0f);
  CHECK(converter_code(300.0f, 1.0f, 127.0f) == 127.0f);
  CHECK(converter_code(-300.0f, 1.0f, 127.0f) == -127.0f);
  // An 8-bit DAC: 255 distinct levels over [-1, 1], step 2/(2^8 - 2).
  std::vector<float> levels;
  for (int k = -2000; k <= 2000; ++k) levels.push_back(converter_code(k / 2000.0f, 127, 127));
  std::sort(levels.begin(), levels.end());
  CHECK(std::unique(levels.begin(), levels.end()) - levels.begin() == 255);
}

TEST_CASE("tile split: near-equal parts as aihwkit's get_split_sizes") {
  CHECK(tile_split(100, 64) == std::vector<Index>{50, 50});
  CHECK(tile_split(10, 3) == std::vector<Index>{3, 3, 2, 2});
  CHECK(tile_split(576, 256) == std::vector<Index>{192, 192, 192});
  CHECK(tile_split(256, 256) == std::vector<Index>{256});
  CHECK(tile_split(5, 0) == std::vector<Index>{5});
  CHECK(tile_split(7, 1) == std::vector<Index>(7, 1));
}

TEST_CASE("periphery options: off by default, validated, tile size parsed") {
  PeripheryOptions o;
  CHECK_FALSE(o.enabled());
  CHECK_NOTHROW(o.validate());
  o.dac_bits = 8;
  CHECK(o.enabled());
  const auto rejects = [](PeripheryOptions bad, const std::string& option) {
    try {
      bad.validate();
      FAIL("accepted");
    } catch (const InputError& e) {
      CHECK(std::string(e.what()).find(option) != std::string::npos);
    }
  };
  for (int bits : {1, -1, 25}) {
    PeripheryOptions bad;
    bad.dac_bits = bits;
    rejects(bad, "dac_bits");
    bad = {};
    bad.adc_bits = bits;
    rejects(bad, "adc_bits");
  }
  for (double range : {0.0, -1.0, std::nan(""), HUGE_VAL}) {
    PeripheryOptions bad;
    bad.adc_range = range;
    rejects(bad, "adc_range");
  }
  PeripheryOptions bad;
  bad.tile_cols = -3;
  rejects(bad, "tile_cols");

  PeripheryOptions t;
  parse_tile_size("256x128", "--tile-size", t);
  CHECK(t.tile_rows == 256);
  CHECK(t.tile_cols == 128);
  CHECK(t.tile_size_text() == "256x128");
  parse_tile_size("0x0", "--tile-size", t);
  CHECK_FALSE(t.enabled());
  for (const char* text : {"256", "x3", "3x", "-1x2", "axb", "3x4x5", "3 x4", "", "2.5x3"})
    CHECK_THROWS_AS(parse_tile_size(text, "--tile-size", t), InputError);
}

TEST_CASE("tiles without converters equal the plain product, with the digital gain") {
  const RowMatrixXf w = uniform(37, 300, 1);
  const RowMatrixXf x = uniform(300, 23, 2);
  const RowMatrixXf plain = w * x;
  for (const auto& [rows, cols] :
       {std::pair<Index, Index>{0, 0}, {64, 0}, {0, 10}, {97, 16}, {1, 1}, {300, 37}}) {
    PeripheryOptions o;
    o.tile_rows = rows;
    o.tile_cols = cols;
    INFO(o.tile_size_text());
    CHECK((apply(CrossbarPeriphery(o, w_max_of(w)), w, x) - plain).cwiseAbs().maxCoeff() <
          kSumTolerance);
    CHECK(
        (apply(CrossbarPeriphery(o, w_max_of(w), 1.5), w, x) - 1.5f * plain).cwiseAbs().maxCoeff() <
        1.5f * kSumTolerance);
  }
}

TEST_CASE("24-bit converters equal the plain product within float tolerance, tiled or not") {
  const RowMatrixXf w = uniform(20, 64, 3);
  const RowMatrixXf x = uniform(64, 50, 4);
  const RowMatrixXf plain = w * x;
  for (const Index rows : {Index{0}, Index{16}, Index{50}}) {
    PeripheryOptions o;
    o.dac_bits = 24;
    o.adc_bits = 24;
    o.adc_range = 64;  // |y| ≤ 64 inputs · 1 · 1: never clipped
    o.tile_rows = rows;
    o.tile_cols = 7;
    // DAC step s/L_in ≈ 1.2e-7·s per input, ADC step 64/L_out·W_max·s ≈ 7.6e-6 per tile output.
    CHECK((apply(CrossbarPeriphery(o, w_max_of(w)), w, x) - plain).cwiseAbs().maxCoeff() < 1e-4f);
    o.adc_bits = 0;  // tiling changes nothing without an ADC (and with a DAC this fine)
    CHECK((apply(CrossbarPeriphery(o, w_max_of(w)), w, x) - plain).cwiseAbs().maxCoeff() < 1e-4f);
  }
}

TEST_CASE("ADC saturation: a small range clips every tile output at ±range") {
  const RowMatrixXf w = RowMatrixXf::Constant(4, 100, 0.5f);  // W_max 0.5
  RowMatrixXf x = RowMatrixXf::Constant(100, 3, 2.0f);
  x.col(1) *= -1.0f;
  x.col(2).setZero();
  PeripheryOptions o;
  o.dac_bits = 8;
  o.adc_bits = 8;
  o.tile_rows = 64;   // two tiles of 50 inputs: y = 50 · (0.5/0.5) · 1 = 50 each
  o.adc_range = 127;  // ADC step 127/127 = 1: y = 50 is a level
  RowMatrixXf y = apply(CrossbarPeriphery(o, 0.5), w, x);
  CHECK(y.col(0).isApprox(Eigen::VectorXf::Constant(4, 100.0f)));  // 0.5 · 100 · 2, unclipped
  CHECK(y.col(1).isApprox(Eigen::VectorXf::Constant(4, -100.0f)));
  CHECK(y.col(2).isZero());
  o.adc_range = 10;  // each tile clips at 10 · W_max · s = 10 · 0.5 · 2 = 10
  y = apply(CrossbarPeriphery(o, 0.5), w, x);
  CHECK(y.col(0).isApprox(Eigen::VectorXf::Constant(4, 20.0f)));
  CHECK(y.col(1).isApprox(Eigen::VectorXf::Constant(4, -20.0f)));
  CHECK(y.col(2).isZero());
  // An all-zero layer (W_max = 0) gives zeros.
  CHECK(apply(CrossbarPeriphery(o, 0.0), RowMatrixXf::Zero(4, 100), x).isZero());
}

TEST_CASE("periphery matches the reference exactly where the sums are exact") {
  // 2-bit DAC: codes −1, 0, 1; weights in eighths; 4-bit ADC with range 7 and W_max 1: the ADC
  // code is rint(Σ W q), so ties (sums ending in .5) exercise round-half-to-even.
  const RowMatrixXf w = eighths(30, 90, 5);
  const RowMatrixXf x = uniform(90, 40, 6);
  PeripheryOptions o;
  o.dac_bits = 2;
  o.adc_bits = 4;
  o.adc_range = 7;
  o.tile_rows = 32;  // 30 + 30 + 30
  o.tile_cols = 16;  // 15 + 15
  for (const double alpha : {1.0, 1.25}) {
    const RowMatrixXf got = apply(CrossbarPeriphery(o, 1.0, alpha), w, x);
    const RowMatrixXf want = reference(w, x, o, 1.0, alpha);
    // One ADC step is α·s ≳ 0.5 here; a flipped code would show as an error of that size.
    CHECK((got - want).cwiseAbs().maxCoeff() < 1e-4f);
  }
}

TEST_CASE("8-bit periphery matches the reference but for rare one-step ties") {
  const RowMatrixXf w = uniform(40, 150, 7);
  const RowMatrixXf x = uniform(150, 200, 8, 0.0f, 1.0f);  // after a ReLU
  PeripheryOptions o;
  o.dac_bits = 8;
  o.adc_bits = 8;
  o.adc_range = 4;
  o.tile_rows = 64;
  o.tile_cols = 16;
  const double w_max = w_max_of(w);
  const RowMatrixXf got = apply(CrossbarPeriphery(o, w_max), w, x);
  const RowMatrixXf want = reference(w, x, o, w_max);
  // Float and double may round a value within 1e-7 of a step boundary differently: such a flip
  // moves one tile output by one ADC step (4/127·W_max·s). Allow it in 0.5% of the outputs.
  const double step = 4.0 / 127.0 * w_max;
  int flips = 0;
  double worst = 0;
  for (Index k = 0; k < got.size(); ++k) {
    const double e = std::abs(double(got.data()[k]) - want.data()[k]);
    worst = std::max(worst, e);
    flips += e > 1e-4;
  }
  CHECK(worst < step * 1.01);
  CHECK(flips <= got.size() / 200);
}

TEST_CASE("Conv2d and Linear through the periphery match the reference on im2col columns") {
  PeripheryOptions o;
  o.dac_bits = 2;
  o.adc_bits = 5;
  o.adc_range = 15;  // L_out 15: the code is rint(Σ W q) again
  o.tile_rows = 20;  // fan_in 45 → 15 + 15 + 15
  o.tile_cols = 3;   // 6 outputs → 3 + 3

  nn::Conv2d conv(5, 6, 3, 2, 1);
  conv.master_weight() = eighths(6, 45, 9);
  nn::Tensor input(3, 5, 7, 7);
  const RowMatrixXf values = uniform(1, input.size(), 10);
  std::memcpy(input.data(), values.data(), sizeof(float) * input.size());
  conv.set_matrix_product(std::make_shared<CrossbarPeriphery>(o, 1.0, 0.75));
  const nn::Tensor got = conv.forward(input);
  const Index h_out = 4;  // (7 + 2 − 3)/2 + 1
  REQUIRE(got.height() == h_out);
  for (Index i = 0; i < 3; ++i)
    for (Index y = 0; y < h_out; ++y)
      for (Index x = 0; x < h_out; ++x) {
        Eigen::VectorXd column(45);  // (c, ky, kx) with zeros outside the input
        for (Index c = 0; c < 5; ++c)
          for (Index ky = 0; ky < 3; ++ky)
            for (Index kx = 0; kx < 3; ++kx) {
              const Index iy = 2 * y - 1 + ky, ix = 2 * x - 1 + kx;
              const bool inside = iy >= 0 && iy < 7 && ix >= 0 && ix < 7;
              column[(c * 3 + ky) * 3 + kx] = inside ? input(i, c, iy, ix) : 0.0;
            }
        const Eigen::VectorXd want = reference_vector(conv.master_weight(), column, o, 1.0, 0.75);
        for (Index oc = 0; oc < 6; ++oc) CHECK(std::abs(got(i, oc, y, x) - want[oc]) < 1e-4);
      }

  nn::Linear linear(45, 6, true);
  linear.master_weight() = eighths(6, 45, 11);
  linear.bias().setConstant(0.25f);
  linear.set_matrix_product(std::make_shared<CrossbarPeriphery>(o, 1.0));
  nn::Tensor batch(4, 5, 3, 3);
  const RowMatrixXf b = uniform(1, batch.size(), 12);
  std::memcpy(batch.data(), b.data(), sizeof(float) * batch.size());
  const nn::Tensor out = linear.forward(batch);
  for (Index i = 0; i < 4; ++i) {
    const Eigen::VectorXd sample =
        Eigen::Map<const Eigen::VectorXf>(batch.data() + i * 45, 45).cast<double>();
    const Eigen::VectorXd want = reference_vector(linear.master_weight(), sample, o, 1.0, 1.0);
    for (Index oc = 0; oc < 6; ++oc) CHECK(std::abs(out(i, oc, 0, 0) - (want[oc] + 0.25)) < 1e-4);
  }
}

TEST_CASE("Conv2d through the periphery does not depend on the thread count") {
  PeripheryOptions o;
  o.dac_bits = 6;
  o.adc_bits = 6;
  o.tile_rows = 100;
  o.tile_cols = 10;
  nn::Conv2d conv(16, 32, 3, 1, 1);
  conv.master_weight() = uniform(32, 144, 13);
  nn::Tensor input(37, 16, 12, 12);
  const RowMatrixXf values = uniform(1, input.size(), 14);
  std::memcpy(input.data(), values.data(), sizeof(float) * input.size());
  conv.set_matrix_product(std::make_shared<CrossbarPeriphery>(o, w_max_of(conv.master_weight())));
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const nn::Tensor one = conv.forward(input);
  omp_set_num_threads(2);
  const nn::Tensor two = conv.forward(input);
  omp_set_num_threads(saved);
  CHECK(std::memcmp(one.data(), two.data(), sizeof(float) * one.size()) == 0);
}

}  // namespace pcmkit::analog
