// Work items computed by one process or shared among processes (parallel/mpi_item_runner.h).
// An item is an index 0..n−1 with a number for a result (e.g. one accuracy of a Monte-Carlo
// sweep); a result depends on the index alone, so who computes it does not change it.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace pcmkit::parallel {

// Called with (item, result) on the collecting process as each item finishes, in any order.
using ItemFinished = std::function<void(std::int64_t item, double result)>;
using ItemCompute = std::function<double(std::int64_t item)>;

class ItemRunner {
 public:
  virtual ~ItemRunner() = default;
  // Computes every item of `pending` exactly once, on some process, and calls `finished` for
  // each on the collecting process. Returns true on the collecting process, false elsewhere.
  // `pending` matters on the collecting process only; compute must accept any index there.
  // Errors: an exception from compute or finished propagates (other processes stop).
  virtual bool run(const std::vector<std::int64_t>& pending,
                   const ItemCompute& compute,
                   const ItemFinished& finished) = 0;
};

// This process alone, in the order given.
class LocalItemRunner final : public ItemRunner {
 public:
  bool run(const std::vector<std::int64_t>& pending,
           const ItemCompute& compute,
           const ItemFinished& finished) override {
    for (std::int64_t item : pending) finished(item, compute(item));
    return true;
  }
};

}  // namespace pcmkit::parallel
