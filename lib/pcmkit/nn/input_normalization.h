// Per-channel input normalisation, x' = (x − mean_c) / std_c, applied to pixels scaled to [0, 1].
#pragma once

#include <vector>

namespace pcmkit::nn {

struct InputNormalization {
  std::vector<float> mean;  // one per input channel; empty = no normalisation
  std::vector<float> std;   // one per input channel, each > 0
};

}  // namespace pcmkit::nn
