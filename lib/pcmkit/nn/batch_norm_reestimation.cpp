#include "pcmkit/nn/batch_norm_reestimation.h"

#include <algorithm>
#include <utility>

#include "pcmkit/core/error.h"
#include "pcmkit/nn/batch_norm2d.h"

namespace pcmkit::nn {

BatchNormStatistics::BatchNormStatistics(Network& network) {
  for (BatchNorm2d* bn : network.batch_norms())
    saved_.push_back({bn, bn->running_mean(), bn->running_var()});
}

void BatchNormStatistics::restore() const {
  for (const Saved& s : saved_) {
    s.bn->running_mean() = s.mean;
    s.bn->running_var() = s.var;
    s.bn->refresh();
  }
}

std::int64_t reestimate_batch_norms(Network& network,
                                    data::ImageDataset& calibration,
                                    std::int64_t num_images,
                                    std::int64_t batch_size) {
  PCMKIT_CHECK(batch_size >= 2, "BatchNorm re-estimation needs batches of at least 2 images");
  const std::vector<BatchNorm2d*> bns = network.batch_norms();
  for (BatchNorm2d* bn : bns) bn->begin_statistics();
  calibration.rewind();
  data::ImageBatch batch;
  std::int64_t seen = 0;
  while (seen < num_images && calibration.next(std::min(batch_size, num_images - seen), batch)) {
    seen += batch.images.n();
    network.forward(std::move(batch.images));
  }
  for (BatchNorm2d* bn : bns) bn->end_statistics();
  return seen;
}

}  // namespace pcmkit::nn
