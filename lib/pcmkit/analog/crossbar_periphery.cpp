#include "pcmkit/analog/crossbar_periphery.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "pcmkit/core/error.h"

namespace pcmkit::analog {
namespace {

using nn::Index;
using nn::RowMatrixXf;

constexpr int kMinBits = 2, kMaxBits = 24;  // 24: codes stay exact integers in float

// Grows a per-thread buffer, so that repeated products do not allocate.
float* scratch(Eigen::ArrayXf& buffer, Index size) {
  if (buffer.size() < size) buffer.resize(size);
  return buffer.data();
}

void validate_bits(int bits, const char* option) {
  require_input(bits == 0 || (bits >= kMinBits && bits <= kMaxBits), "", option,
                "must be 0 (ideal) or 2 to 24 bits (1 bit has no level besides 0)", bits);
}

Index parse_count(const std::string& text, const std::string& option, const std::string& whole) {
  Index value = -1;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < 0)
    throw InputError("", option,
                     "'" + whole + "' is not ROWSxCOLS with non-negative integers (e.g. 256x256)");
  return value;
}

}  // namespace

int converter_levels(int bits) {
  PCMKIT_CHECK(bits >= kMinBits && bits <= kMaxBits, "converter_levels: bits out of range");
  return (1 << (bits - 1)) - 1;
}

float converter_code(float v, float levels_per_unit, float levels) {
  return std::clamp(std::rint(v * levels_per_unit), -levels, levels);
}

std::vector<Index> tile_split(Index size, Index max_size) {
  PCMKIT_CHECK(size >= 0 && max_size >= 0, "tile_split: negative size");
  if (max_size == 0 || size <= max_size) return {size};
  const Index n = (size + max_size - 1) / max_size;
  std::vector<Index> parts(static_cast<std::size_t>(n), size / n);
  for (Index k = 0; k < size % n; ++k) ++parts[static_cast<std::size_t>(k)];
  return parts;
}

bool PeripheryOptions::enabled() const {
  return dac_bits != 0 || adc_bits != 0 || tile_rows != 0 || tile_cols != 0;
}

void PeripheryOptions::validate() const {
  validate_bits(dac_bits, "dac_bits");
  validate_bits(adc_bits, "adc_bits");
  require_input(adc_range > 0 && std::isfinite(adc_range), "", "adc_range",
                "must be > 0 and finite", adc_range);
  require_input(tile_rows >= 0, "", "tile_rows", "must be >= 0", static_cast<double>(tile_rows));
  require_input(tile_cols >= 0, "", "tile_cols", "must be >= 0", static_cast<double>(tile_cols));
}

std::string PeripheryOptions::tile_size_text() const {
  return std::to_string(tile_rows) + "x" + std::to_string(tile_cols);
}

void parse_tile_size(const std::string& text, const std::string& option, PeripheryOptions& out) {
  const std::size_t x = text.find('x');
  if (x == std::string::npos)
    throw InputError("", option, "'" + text + "' is not ROWSxCOLS (e.g. 256x256; 0 = unlimited)");
  out.tile_rows = parse_count(text.substr(0, x), option, text);
  out.tile_cols = parse_count(text.substr(x + 1), option, text);
}

CrossbarPeriphery::CrossbarPeriphery(const PeripheryOptions& options,
                                     double w_max,
                                     double digital_gain)
    : options_(options), w_max_(w_max), digital_gain_(digital_gain) {
  options_.validate();
  PCMKIT_CHECK(w_max >= 0 && std::isfinite(w_max), "CrossbarPeriphery: w_max must be >= 0");
  PCMKIT_CHECK(std::isfinite(digital_gain), "CrossbarPeriphery: digital gain must be finite");
}

void CrossbarPeriphery::multiply(const Eigen::Ref<const RowMatrixXf>& weight,
                                 const Eigen::Ref<const RowMatrixXf>& inputs,
                                 Eigen::Ref<RowMatrixXf> outputs) const {
  const Index outs = weight.rows(), fan_in = weight.cols(), m = inputs.cols();
  PCMKIT_CHECK(inputs.rows() == fan_in && outputs.rows() == outs && outputs.cols() == m,
               "CrossbarPeriphery: shapes do not match");
  const std::vector<Index> in_parts = tile_split(fan_in, options_.tile_rows);
  const std::vector<Index> out_parts = tile_split(outs, options_.tile_cols);
  const bool dac = options_.dac_bits > 0, adc = options_.adc_bits > 0;
  const float gain = static_cast<float>(digital_gain_);

  if (!dac && !adc) {  // tiles only: partial sums added in tile order
    Index r0 = 0;
    for (std::size_t t = 0; t < in_parts.size(); r0 += in_parts[t++]) {
      Index o0 = 0;
      for (const Index no : out_parts) {
        const auto w = weight.block(o0, r0, no, in_parts[t]);
        const auto x = inputs.middleRows(r0, in_parts[t]);
        if (t == 0)
          outputs.middleRows(o0, no).noalias() = w * x;
        else
          outputs.middleRows(o0, no).noalias() += w * x;
        o0 += no;
      }
    }
    if (gain != 1.0f) outputs *= gain;
    return;
  }
  if (adc && w_max_ == 0) {  // an all-zero layer (see the constructor's contract)
    outputs.setZero();
    return;
  }

  const float l_in = dac ? static_cast<float>(converter_levels(options_.dac_bits)) : 1.0f;
  const float l_out = adc ? static_cast<float>(converter_levels(options_.adc_bits)) : 0.0f;
  const double r = options_.adc_range;
  // y·L_out/r = a · L_out/(r·L_in·W_max); back to digital: c · α·r·W_max/L_out, times s_t.
  const float code_per_sum = adc ? static_cast<float>(l_out / (r * l_in * w_max_)) : 0.0f;
  const float digital_per_code =
      adc ? static_cast<float>(digital_gain_ * r * w_max_ / l_out) : gain / l_in;

  static thread_local Eigen::ArrayXf q_buffer, a_buffer, s_buffer, inv_buffer, back_buffer;
  Eigen::Map<Eigen::ArrayXf> s(scratch(s_buffer, m), m);
  Eigen::Map<Eigen::ArrayXf> inv(scratch(inv_buffer, m), m);
  Eigen::Map<Eigen::ArrayXf> back(scratch(back_buffer, m), m);

  Index r0 = 0;
  for (std::size_t t = 0; t < in_parts.size(); r0 += in_parts[t++]) {
    const Index nr = in_parts[t];
    const auto x = inputs.middleRows(r0, nr);
    // DAC: per-column abs-max of the slice (row by row, so that the loops run along memory).
    s.setZero();
    for (Index j = 0; j < nr; ++j) s = s.max(x.row(j).array().transpose().abs());
    inv = (s > 0.0f).select(l_in / s, 0.0f);
    Eigen::Map<nn::RowMatrixXf> q(scratch(q_buffer, nr * m), nr, m);
    q.array() = x.array().rowwise() * inv.transpose();
    if (dac) q.array() = q.array().rint();
    back = s * digital_per_code;

    Index o0 = 0;
    for (const Index no : out_parts) {
      Eigen::Map<nn::RowMatrixXf> a(scratch(a_buffer, no * m), no, m);
      a.noalias() = weight.block(o0, r0, no, nr) * q;
      if (adc) a.array() = (a.array() * code_per_sum).rint().max(-l_out).min(l_out);
      if (t == 0)
        outputs.middleRows(o0, no).array() = a.array().rowwise() * back.transpose();
      else
        outputs.middleRows(o0, no).array() += a.array().rowwise() * back.transpose();
      o0 += no;
    }
  }
}

}  // namespace pcmkit::analog
