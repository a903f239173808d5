// Image resizing as Pillow's Image.resize(size, Image.BILINEAR) does it for 8-bit images (the
// resize inside torchvision's transforms.Resize on a PIL image), reproduced to the byte.
// Pillow's Resample.c: for each output pixel xx of a pass, the input centre is
// c = (xx + 0.5)·s with s = in/out, and the filter is the triangle f(t) = max(0, 1 − |t|)
// stretched by σ = max(s, 1) (antialiasing: when shrinking, the support grows with the scale):
//   support = σ, xmin = max(0, int(c − σ + 0.5)), xmax = min(in, int(c + σ + 0.5)),
//   w_j = f((j − c + 0.5)/σ) for j in [xmin, xmax), normalised to Σ w_j = 1,
// then each weight is turned into 22-bit fixed point (round half away from zero) and
//   out = clamp((2^21 + Σ_j in_j·k_j) >> 22, 0, 255)   (integer arithmetic).
// The horizontal pass runs first and its result is rounded to 8 bits before the vertical pass,
// as Pillow does. A pass whose size does not change is skipped (identity), as in Pillow.
// Not provided: other filters, fractional source boxes (Pillow's `box` argument).
#pragma once

#include "pcmkit/data/jpeg_decode.h"

namespace pcmkit::data {

// A rectangle of the resized image: columns x0 .. x0 + width − 1, rows y0 .. y0 + height − 1.
struct PixelWindow {
  int x0 = 0, y0 = 0, width = 0, height = 0;
};

// The pixels of `window` of the image resized to out_width × out_height. Each pixel is what
// Pillow computes for it (a pixel does not depend on the others), so cropping here instead of
// after resizing gives the same bytes with less work.
// Requires: image non-empty, out sizes ≥ 1, window inside [0, out_width) × [0, out_height) and
//   non-empty (PCMKIT_CHECK).
// Cost: O(window area · (in/out + 1)) integer multiply-adds per channel.
RgbImage resize_bilinear_antialiased(const RgbImage& image,
                                     int out_width,
                                     int out_height,
                                     const PixelWindow& window);

}  // namespace pcmkit::data
