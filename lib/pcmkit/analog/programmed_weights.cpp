#include "pcmkit/analog/programmed_weights.h"

#include <bit>

#include "pcmkit/core/error.h"
#include "pcmkit/device/differential_pair.h"

namespace pcmkit::analog {

ProgrammedWeights::ProgrammedWeights(const device::PcmModel& model,
                                     const Eigen::Ref<const Eigen::ArrayXf>& weights,
                                     std::uint64_t seed,
                                     std::uint64_t first_item)
    : model_(model), seed_(seed), size_(weights.size()) {
  PCMKIT_CHECK(weights.allFinite(), "weights must be finite");
  w_max_ = weights.size() ? static_cast<double>(weights.abs().maxCoeff()) : 0.0;
  // Targets of the pair, interleaved (G+ at 2i, G− at 2i + 1) so that items stay local.
  Eigen::ArrayXd g_target_uS = Eigen::ArrayXd::Zero(2 * size_);
  if (w_max_ > 0) {
    const device::PairTargets pair =
        device::weights_to_pair_targets(weights.cast<double>(), w_max_, model.g_max_uS);
    for (Eigen::Index i = 0; i < size_; ++i) {
      g_target_uS[2 * i] = pair.g_plus_uS[i];
      g_target_uS[2 * i + 1] = pair.g_minus_uS[i];
    }
  }
  devices_ = device::program_devices(model, g_target_uS, seed, first_item);
}

Eigen::ArrayXf ProgrammedWeights::read_weights(double t_s, std::uint64_t read_key) const {
  const Eigen::ArrayXd g_uS = device::read_conductance_uS(model_, devices_, t_s, seed_, read_key);
  if (w_max_ == 0) return Eigen::ArrayXf::Zero(size_);
  const Eigen::Map<const Eigen::ArrayXd, 0, Eigen::InnerStride<2>> g_plus(g_uS.data(), size_),
      g_minus(g_uS.data() + 1, size_);
  return device::pair_to_weights(g_plus, g_minus, w_max_, model_.g_max_uS).cast<float>();
}

std::uint64_t read_key_at_time(double t_s) {
  // SplitMix64 of the time's bits, cut to the 48 bits a draw index keeps (random_stream.cpp):
  // distinct times get unrelated draws.
  std::uint64_t z = std::bit_cast<std::uint64_t>(t_s) + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z = (z ^ (z >> 31)) >> 16;
  return z == kReferenceReadKey ? 1 : z;
}

}  // namespace pcmkit::analog
