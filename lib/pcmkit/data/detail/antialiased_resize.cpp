#include "pcmkit/data/detail/antialiased_resize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "pcmkit/core/error.h"

namespace pcmkit::data {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;  // Pillow's PRECISION_BITS for 8-bit images

// One pass's weights: output pixel o reads inputs first[o] .. first[o] + count[o] − 1 with the
// fixed-point weights k[o·ksize + j].
struct Coefficients {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<std::int32_t> k;
};

double triangle(double t) {
  if (t < 0.0) t = -t;
  return t < 1.0 ? 1.0 - t : 0.0;
}

// Pillow's precompute_coeffs (box = [0, in_size]) followed by normalize_coeffs_8bpc.
Coefficients precompute(int in_size, int out_size) {
  Coefficients c;
  const double scale = static_cast<double>(static_cast<float>(in_size)) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = 1.0 * filter_scale;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(static_cast<std::size_t>(out_size));
  c.count.resize(static_cast<std::size_t>(out_size));
  c.k.assign(static_cast<std::size_t>(out_size) * static_cast<std::size_t>(c.ksize), 0);
  std::vector<double> w(static_cast<std::size_t>(c.ksize));
  for (int o = 0; o < out_size; ++o) {
    const double center = (o + 0.5) * scale;
    const double ss = 1.0 / filter_scale;
    int xmin = static_cast<int>(center - support + 0.5);
    xmin = std::max(xmin, 0);
    int xmax = static_cast<int>(center + support + 0.5);
    xmax = std::min(xmax, in_size) - xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      w[static_cast<std::size_t>(x)] = triangle((x + xmin - center + 0.5) * ss);
      ww += w[static_cast<std::size_t>(x)];
    }
    std::int32_t* k = c.k.data() + static_cast<std::size_t>(o) * static_cast<std::size_t>(c.ksize);
    for (int x = 0; x < xmax; ++x) {
      double v = w[static_cast<std::size_t>(x)];
      if (ww != 0.0) v /= ww;
      const double fixed = v * (1 << kPrecisionBits);
      k[x] = static_cast<std::int32_t>(v < 0 ? -0.5 + fixed : 0.5 + fixed);
    }
    c.first[static_cast<std::size_t>(o)] = xmin;
    c.count[static_cast<std::size_t>(o)] = xmax;
  }
  return c;
}

std::uint8_t clip8(std::int32_t sum) {
  return static_cast<std::uint8_t>(std::clamp(sum >> kPrecisionBits, 0, 255));
}

}  // namespace

RgbImage resize_bilinear_antialiased(const RgbImage& image,
                                     int out_width,
                                     int out_height,
                                     const PixelWindow& window) {
  PCMKIT_CHECK(image.width >= 1 && image.height >= 1, "resize: empty image");
  PCMKIT_CHECK(out_width >= 1 && out_height >= 1, "resize: output size < 1");
  PCMKIT_CHECK(window.x0 >= 0 && window.y0 >= 0 && window.width >= 1 && window.height >= 1 &&
                   window.x0 + window.width <= out_width && window.y0 + window.height <= out_height,
               "resize: window outside the output");
  const bool horizontal = out_width != image.width;
  const bool vertical = out_height != image.height;
  const Coefficients cx = horizontal ? precompute(image.width, out_width) : Coefficients{};
  const Coefficients cy = vertical ? precompute(image.height, out_height) : Coefficients{};

  // Input rows the window's output rows read.
  int row0 = window.y0, row1 = window.y0 + window.height;
  if (vertical) {
    row0 = cy.first[static_cast<std::size_t>(window.y0)];
    const auto last = static_cast<std::size_t>(window.y0 + window.height - 1);
    row1 = cy.first[last] + cy.count[last];
    for (int o = window.y0; o < window.y0 + window.height; ++o)
      row0 = std::min(row0, cy.first[static_cast<std::size_t>(o)]);
  }

  // Horizontal pass over rows row0 .. row1 − 1, window columns only, rounded to bytes.
  const int rows = row1 - row0;
  std::vector<std::uint8_t> temp(static_cast<std::size_t>(rows) *
                                 static_cast<std::size_t>(window.width) * 3);
  for (int r = 0; r < rows; ++r) {
    const std::uint8_t* in = image.pixels.data() + static_cast<std::size_t>(row0 + r) *
                                                       static_cast<std::size_t>(image.width) * 3;
    std::uint8_t* out =
        temp.data() + static_cast<std::size_t>(r) * static_cast<std::size_t>(window.width) * 3;
    for (int xx = 0; xx < window.width; ++xx) {
      const int o = window.x0 + xx;
      if (!horizontal) {
        std::copy_n(in + 3 * o, 3, out + 3 * xx);
        continue;
      }
      const auto oi = static_cast<std::size_t>(o);
      const std::int32_t* k = cx.k.data() + oi * static_cast<std::size_t>(cx.ksize);
      const std::uint8_t* src = in + 3 * cx.first[oi];
      std::int32_t s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
      for (int j = 0; j < cx.count[oi]; ++j) {
        s0 += src[3 * j] * k[j];
        s1 += src[3 * j + 1] * k[j];
        s2 += src[3 * j + 2] * k[j];
      }
      out[3 * xx] = clip8(s0);
      out[3 * xx + 1] = clip8(s1);
      out[3 * xx + 2] = clip8(s2);
    }
  }

  // Vertical pass, a whole row at a time (tap-major, so that the compiler vectorises it; integer
  // sums do not depend on their order).
  RgbImage result;
  result.width = window.width;
  result.height = window.height;
  const std::size_t stride = static_cast<std::size_t>(window.width) * 3;
  result.pixels.resize(stride * static_cast<std::size_t>(window.height));
  std::vector<std::int32_t> sums(stride);
  for (int yy = 0; yy < window.height; ++yy) {
    std::uint8_t* out = result.pixels.data() + static_cast<std::size_t>(yy) * stride;
    const int o = window.y0 + yy;
    if (!vertical) {
      std::copy_n(temp.data() + static_cast<std::size_t>(o - row0) * stride, stride, out);
      continue;
    }
    const auto oi = static_cast<std::size_t>(o);
    const std::int32_t* k = cy.k.data() + oi * static_cast<std::size_t>(cy.ksize);
    const std::uint8_t* src = temp.data() + static_cast<std::size_t>(cy.first[oi] - row0) * stride;
    std::fill(sums.begin(), sums.end(), 1 << (kPrecisionBits - 1));
    for (int j = 0; j < cy.count[oi]; ++j) {
      const std::uint8_t* in = src + static_cast<std::size_t>(j) * stride;
      const std::int32_t kj = k[j];
      for (std::size_t x = 0; x < stride; ++x) sums[x] += in[x] * kj;
    }
    for (std::size_t x = 0; x < stride; ++x) out[x] = clip8(sums[x]);
  }
  return result;
}

}  // namespace pcmkit::data
