#include "pcmkit/core/random_stream.h"

#include <Random123/philox.h>

#include <Random123/boxmuller.hpp>
#include <Random123/uniform.hpp>

namespace pcmkit {
namespace {

using Philox = r123::Philox4x32;

// Key: the 64-bit seed. Counter: the 64-bit item, then 48 bits of block index (one block gives
// two draws) and 16 bits of stream, so streams never share a counter.
Philox::ctr_type counter(std::uint64_t item, std::uint64_t block, std::uint32_t stream) {
  return {{static_cast<std::uint32_t>(item), static_cast<std::uint32_t>(item >> 32),
           static_cast<std::uint32_t>(block),
           (static_cast<std::uint32_t>(block >> 32) & 0xFFFFu) | (stream << 16)}};
}

}  // namespace

CounterRng::CounterRng(std::uint64_t seed, RandomStream stream)
    : seed_(seed), stream_(static_cast<std::uint32_t>(stream)) {}

double CounterRng::normal(std::uint64_t item, std::uint64_t draw) const {
  const Philox::key_type key = {
      {static_cast<std::uint32_t>(seed_), static_cast<std::uint32_t>(seed_ >> 32)}};
  const Philox::ctr_type r = Philox()(counter(item, draw / 2, stream_), key);
  const std::uint64_t u0 = (static_cast<std::uint64_t>(r[1]) << 32) | r[0];
  const std::uint64_t u1 = (static_cast<std::uint64_t>(r[3]) << 32) | r[2];
  const r123::double2 z = r123::boxmuller(u0, u1);
  return (draw % 2 == 0) ? z.x : z.y;
}

double CounterRng::uniform(std::uint64_t item, std::uint64_t draw) const {
  const Philox::key_type key = {
      {static_cast<std::uint32_t>(seed_), static_cast<std::uint32_t>(seed_ >> 32)}};
  // Uniform draws use the upper half of the block space, apart from the normal draws.
  const Philox::ctr_type r = Philox()(counter(item, (draw / 2) | (1ull << 47), stream_), key);
  const std::uint64_t u = (draw % 2 == 0) ? ((static_cast<std::uint64_t>(r[1]) << 32) | r[0])
                                          : ((static_cast<std::uint64_t>(r[3]) << 32) | r[2]);
  return r123::u01<double>(u);
}

}  // namespace pcmkit
