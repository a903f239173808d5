// Internal to lib/pcmkit/nn (not a stable API): the im2col copy of a convolution's input that
// turns it into one GEMM (Conv2d's forward and backward passes), and its adjoint.
//   cols[(c·k + ky)·k + kx][(image, y, x)] = input[image, c, y·s − p + ky, x·s − p + kx]
// with zeros where the index falls outside the input.
#pragma once

#include <Eigen/Core>
#include <algorithm>

namespace pcmkit::nn::detail {

using Eigen::Index;

struct ConvGeometry {
  Index channels, h, w, k, s, p, h_out, w_out;
  ConvGeometry(Index channels_, Index h_, Index w_, Index k_, Index s_, Index p_)
      : channels(channels_),
        h(h_),
        w(w_),
        k(k_),
        s(s_),
        p(p_),
        h_out((h_ + 2 * p_ - k_) / s_ + 1),
        w_out((w_ + 2 * p_ - k_) / s_ + 1) {}
  Index plane() const { return h_out * w_out; }
  bool same_shape() const { return s == 1 && h_out == h && w_out == w; }
  // Output columns x with 0 ≤ x·s − p + kx < w: [x_lo, x_hi).
  Index x_lo(Index kx) const { return std::min(w_out, std::max<Index>(0, (p - kx + s - 1) / s)); }
  Index x_hi(Index kx) const {
    const Index last = w - 1 + p - kx;  // x·s ≤ last
    return last < 0 ? x_lo(kx) : std::max(x_lo(kx), std::min(w_out, last / s + 1));
  }
};

// im2col of NCHW images [first, first + count) of `input`: `cols` holds channels·k² rows of
// count·plane() floats. Cost: channels·k²·count·plane() floats written.
void im2col(const float* input, const ConvGeometry& g, Index first, Index count, float* cols);

// The adjoint: sets images [first, first + count) of `grad_input` to the sum of the column
// values read from each input position, added to zero in kernel order (ky, kx); zero where
// no column reads. (So the previous contents never matter: no zero-filled tensor needed.)
void col2im(const float* cols, const ConvGeometry& g, Index first, Index count, float* grad_input);

}  // namespace pcmkit::nn::detail
