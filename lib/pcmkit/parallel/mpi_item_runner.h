// Work items shared among the ranks of an MPI job with dynamic load balancing (items differ in
// cost): rank 0 hands out the next pending item to whichever rank asks, from a helper thread that
// polls every millisecond, and computes items itself in between; each rank asks again when it
// finishes one, sending its result along. Items go out in the order given, so a rank that moves on
// to a later item never returns to an earlier group (e.g. a Monte-Carlo realisation is programmed
// at most once per rank). Rank 0 collects every result (parallel/item_runner.h).
#pragma once

#include "pcmkit/parallel/item_runner.h"

namespace pcmkit::parallel {

class MpiItemRunner final : public ItemRunner {
 public:
  // Requires: an active MpiSession (InternalError otherwise).
  MpiItemRunner();
  // An exception on any rank prints one line naming the rank and stops the job (MPI_Abort).
  bool run(const std::vector<std::int64_t>& pending,
           const ItemCompute& compute,
           const ItemFinished& finished) override;
};

}  // namespace pcmkit::parallel
