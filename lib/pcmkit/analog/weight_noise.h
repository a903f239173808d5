// Hardware-aware training (Joshi et al., Nat. Commun. 11, 2473 (2020), Methods): the two things
// done to a network's analog layers while it trains, so that it survives PCM.
//   weight-noise injection: each mini-batch's forward and backward passes compute with
//     W + δW, δW ~ N(0, (η·max|W|)²) i.i.d. per weight, drawn afresh per mini-batch; the update
//     is applied to the clean W (the master weight; nn::AnalogLayer's effective weight holds
//     W + δW). The paper's η = 3.8% is the programming noise at full scale, 0.94 µS / 25 µS.
//   weight clipping: after each update, W ← clip(W, −α·std(W), α·std(W)) per layer, so that a
//     few large weights do not squeeze the rest into the noisy low-conductance range.
#pragma once

#include <cstdint>
#include <span>

#include "pcmkit/nn/module.h"

namespace pcmkit::analog {

// Sets every layer's effective weight to W + δW with δW drawn for (seed, step, layer, weight).
// Requires: eta ≥ 0 and fewer than 4096 layers (PCMKIT_CHECK).
// Random: counter-based (RandomStream::kWeightNoise): a pure function of its arguments.
// Threads: OpenMP over weights; results never depend on the thread count.
void inject_weight_noise(std::span<const nn::AnalogLayerRef> layers,
                         double eta,
                         std::uint64_t seed,
                         std::uint64_t step);

// Clears every layer's effective weight (forward passes use the master weight again).
void clear_weight_noise(std::span<const nn::AnalogLayerRef> layers);

// Clips every layer's master weight to ±alpha·std(W), std over the layer's weights with the
// (n − 1) denominator (torch.std's default); layers with one weight are left alone.
// Requires: alpha > 0 (PCMKIT_CHECK).
void clip_weights(std::span<const nn::AnalogLayerRef> layers, double alpha);

}  // namespace pcmkit::analog
