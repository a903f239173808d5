#include "pcmkit/nn/shortcut_a.h"

#include "pcmkit/core/error.h"

namespace pcmkit::nn {

ShortcutA::ShortcutA(Index planes) : planes_(planes) {
  PCMKIT_CHECK(planes >= 1, "ShortcutA: planes < 1");
}

Tensor ShortcutA::forward(Tensor input) {
  const Index pad = pad_channels(), c_in = input.channels();
  const Index h = input.height(), w = input.width();
  const Index h_out = (h + 1) / 2, w_out = (w + 1) / 2;
  const Index n = input.n();
  Tensor output(n, c_in + 2 * pad, h_out, w_out);
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i)
    for (Index c = 0; c < c_in; ++c)
      for (Index y = 0; y < h_out; ++y)
        for (Index x = 0; x < w_out; ++x) output(i, c + pad, y, x) = input(i, c, 2 * y, 2 * x);
  return output;
}

}  // namespace pcmkit::nn
