// Known answers from outside the code: torchvision's ResNet-18/34 (PyTorch 1.13, eval mode) on
// formula-made weights and inputs, whose logits tools/make_resnet34_fixture.py stored in
// tests/data/resnet34_fixture.h5 (the real ImageNet weights are too large to commit). This test
// rebuilds the same weights and images bit for bit (every value is a small integer times a power
// of two, so exact in float32; the fixture's per-tensor sums check that) and compares logits.
#include <H5Cpp.h>
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "pcmkit/nn/resnet.h"

namespace pcmkit::nn {
namespace {

const std::string kFixture = std::string(PCMKIT_TEST_DATA_DIR) + "/resnet34_fixture.h5";

// The formula of tools/make_resnet34_fixture.py (its docstring defines it):
//   u(j, k) = (m − 1001) / 1024, m = (31 r² + (7919 + 7 j) r + 577 q + 104729 j) mod 2003,
//   r = k mod 2003, q = (k div 2003) mod 2003.
constexpr std::int64_t kModulus = 2003;
constexpr std::int64_t kCoefficients[5] = {31, 7919, 577, 104729, 7};
constexpr std::int64_t kOffset = 1001;
constexpr std::int64_t kDenominator = 1024;
constexpr std::int64_t kInputTensorBase = 1000;
constexpr std::int64_t kBlock = 28;
constexpr Index kImages = 2, kImageSize = 224;

// PyTorch sums each convolution in another order (oneDNN), so logits differ by rounding only.
// A float32 sum of n terms of random sign carries a rounding error of about √n·2⁻²⁴ of its value
// (n ≤ 512·3·3 = 4608 here: ≈ 4·10⁻⁶); independent errors over 36 layers of O(1) gain give
// ≈ √36·4·10⁻⁶ = 2.4·10⁻⁵ relative, 1.5·10⁻⁴ on logits up to 6. Measured (PyTorch 1.13, 2
// threads, against this build): 2.4·10⁻⁶ (ResNet-18) and 4.3·10⁻⁶ (ResNet-34). The check uses
// the budget, 10⁻³, which a wrong index, padding or stride misses by orders of
// magnitude (the two images' logits differ by up to 0.26 and 0.47).
constexpr double kLogitTolerance = 1e-3;

double formula_u(std::int64_t j, std::int64_t k) {
  const auto [a, b, c, d, e] = kCoefficients;
  const std::int64_t r = k % kModulus;
  const std::int64_t q = (k / kModulus) % kModulus;
  const std::int64_t m = (a * r * r + (b + e * j) * r + c * q + d * j) % kModulus;
  return static_cast<double>(m - kOffset) / static_cast<double>(kDenominator);
}

// Least e with 2^e ≥ √fan_in, i.e. 4^e ≥ fan_in.
int weight_scale_exponent(Index fan_in) {
  int e = 0;
  while ((Index{1} << (2 * e)) < fan_in) ++e;
  return e;
}

// Sets tensor j as the script does; returns the float64 sum of its values (exact).
double fill_tensor(ParameterRef& p, std::int64_t j) {
  double scale = 0.0, shift = 0.0;
  if (p.shape.size() >= 2) {
    Index fan_in = 1;
    for (std::size_t d = 1; d < p.shape.size(); ++d) fan_in *= p.shape[d];
    scale = std::ldexp(1.0, 1 - weight_scale_exponent(fan_in));
  } else if (p.name.ends_with("running_var") || p.name.ends_with(".weight")) {
    scale = 0.5, shift = 1.0;
  } else {
    scale = 0.25;
  }
  double sum = 0.0;
  for (std::size_t k = 0; k < p.values.size(); ++k) {
    const double v = shift + scale * formula_u(j, static_cast<std::int64_t>(k));
    p.values[k] = static_cast<float>(v);
    sum += v;
  }
  return sum;
}

Tensor formula_images() {
  Tensor images = Tensor::uninitialized(kImages, 3, kImageSize, kImageSize);
  for (Index i = 0; i < kImages; ++i) {
    for (Index c = 0; c < 3; ++c) {
      for (Index y = 0; y < kImageSize; ++y) {
        for (Index x = 0; x < kImageSize; ++x) {
          const Index big_y = y / kBlock, big_x = x / kBlock;
          const Index b = ((3 + i) * big_y * big_y + (5 + 2 * i) * big_x * big_y + (7 + i) * c) % 9;
          const Index k = (c * kImageSize + y) * kImageSize + x;
          images(i, c, y, x) =
              static_cast<float>(formula_u(kInputTensorBase + i, k) * static_cast<double>(b) / 2);
        }
      }
    }
  }
  return images;
}

std::vector<std::int64_t> int_attribute(const H5::H5File& h5, const std::string& name) {
  const H5::Attribute attribute = h5.openAttribute(name);
  std::vector<std::int64_t> values(
      static_cast<std::size_t>(attribute.getSpace().getSimpleExtentNpoints()));
  attribute.read(H5::PredType::NATIVE_INT64, values.data());
  return values;
}

std::vector<std::string> string_dataset(const H5::Group& group, const std::string& name) {
  const H5::DataSet ds = group.openDataSet(name);
  const H5::StrType type = ds.getStrType();
  const std::size_t length = type.getSize();
  const auto n = static_cast<std::size_t>(ds.getSpace().getSimpleExtentNpoints());
  std::vector<char> buffer(n * length);
  ds.read(buffer.data(), type);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    const char* s = buffer.data() + i * length;
    out.emplace_back(s, strnlen(s, length));
  }
  return out;
}

template <typename T>
std::vector<T> numeric_dataset(const H5::Group& group,
                               const std::string& name,
                               const H5::PredType& type) {
  const H5::DataSet ds = group.openDataSet(name);
  std::vector<T> values(static_cast<std::size_t>(ds.getSpace().getSimpleExtentNpoints()));
  ds.read(values.data(), type);
  return values;
}

TEST_CASE("the fixture was made with this test's formula") {
  const H5::H5File h5(kFixture, H5F_ACC_RDONLY);
  CHECK(int_attribute(h5, "modulus") == std::vector<std::int64_t>{kModulus});
  CHECK(int_attribute(h5, "coefficients") ==
        std::vector<std::int64_t>(std::begin(kCoefficients), std::end(kCoefficients)));
  CHECK(int_attribute(h5, "offset") == std::vector<std::int64_t>{kOffset});
  CHECK(int_attribute(h5, "denominator") == std::vector<std::int64_t>{kDenominator});
  CHECK(int_attribute(h5, "input_tensor_base") == std::vector<std::int64_t>{kInputTensorBase});
  CHECK(int_attribute(h5, "block") == std::vector<std::int64_t>{kBlock});
  CHECK(int_attribute(h5, "image_shape") ==
        std::vector<std::int64_t>{kImages, 3, kImageSize, kImageSize});
  const Tensor images = formula_images();
  const std::vector<double> sums =
      numeric_dataset<double>(h5, "input_sums", H5::PredType::NATIVE_DOUBLE);
  REQUIRE(sums.size() == static_cast<std::size_t>(kImages));
  for (Index i = 0; i < kImages; ++i) {
    double sum = 0.0;
    for (Index k = 0; k < images.image_size(); ++k)
      sum += images.data()[i * images.image_size() + k];
    CHECK(sum == sums[static_cast<std::size_t>(i)]);  // exact: dyadic values, float64 sums
  }
}

void check_model(int depth) {
  const H5::H5File h5(kFixture, H5F_ACC_RDONLY);
  const H5::Group group = h5.openGroup("resnet" + std::to_string(depth));
  const std::vector<std::string> names = string_dataset(group, "parameter_names");
  const std::vector<double> sums =
      numeric_dataset<double>(group, "parameter_sums", H5::PredType::NATIVE_DOUBLE);
  REQUIRE(sums.size() == names.size());
  std::map<std::string, std::int64_t> index;
  for (std::size_t j = 0; j < names.size(); ++j) index[names[j]] = static_cast<std::int64_t>(j);

  Network net = make_imagenet_resnet(depth);
  std::vector<ParameterRef> params = net.parameters();
  CHECK(params.size() == names.size());
  int sum_mismatches = 0;
  for (ParameterRef& p : params) {
    const auto it = index.find(p.name);
    REQUIRE_MESSAGE(it != index.end(), p.name << " is not a torchvision state_dict key");
    const double sum = fill_tensor(p, it->second);
    if (sum != sums[static_cast<std::size_t>(it->second)]) {
      ++sum_mismatches;
      MESSAGE(p.name << ": sum " << sum << " != " << sums[static_cast<std::size_t>(it->second)]);
    }
  }
  CHECK(sum_mismatches == 0);
  net.refresh();

  const std::vector<float> reference =
      numeric_dataset<float>(group, "logits", H5::PredType::NATIVE_FLOAT);
  REQUIRE(reference.size() == static_cast<std::size_t>(kImages * 1000));
  const RowMatrixXf logits = net.forward(formula_images());
  REQUIRE(logits.rows() == kImages);
  REQUIRE(logits.cols() == 1000);
  const Eigen::Map<const RowMatrixXf> expected(reference.data(), kImages, 1000);
  const double max_error = (logits - expected).cwiseAbs().maxCoeff();
  const double image_difference = (expected.row(0) - expected.row(1)).cwiseAbs().maxCoeff();
  MESSAGE("resnet" << depth << ": max |logit - torchvision| = " << max_error << " (logits up to "
                   << expected.cwiseAbs().maxCoeff() << ", the two images' logits differ by up to "
                   << image_difference << ")");
  CHECK(max_error <= kLogitTolerance);
  // The inputs matter: an error that ignored them would show.
  CHECK(image_difference > 10 * kLogitTolerance);
}

TEST_CASE("ResNet-18 matches torchvision's logits on formula-made weights") { check_model(18); }

TEST_CASE("ResNet-34 matches torchvision's logits on formula-made weights") { check_model(34); }

}  // namespace
}  // namespace pcmkit::nn
