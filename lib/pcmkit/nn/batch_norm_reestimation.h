// BatchNorm re-estimation (AdaBS in Joshi et al. 2020): after the weights change (e.g. a drifted
// PCM read-out), every BatchNorm's running mean and variance are recomputed on calibration images
// with the new weights, as PyTorch's momentum=None in training mode (each batch weighs the same);
// γ and β stay. The saved statistics put a network back as it was.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "pcmkit/data/image_dataset.h"
#include "pcmkit/nn/network.h"

namespace pcmkit::nn {

// Every BatchNorm's running statistics, in Network::batch_norms() order.
class BatchNormStatistics {
 public:
  explicit BatchNormStatistics(Network& network);  // saves them
  void restore() const;                            // puts them back (and refreshes)

 private:
  struct Saved {
    BatchNorm2d* bn;
    Eigen::VectorXf mean, var;
  };
  std::vector<Saved> saved_;
};

// Re-estimates every BatchNorm's statistics on the first num_images of `calibration` (from its
// start), in batches of batch_size (≥ 2). Returns the images seen: fewer than num_images when the
// set is smaller. Cost: one forward pass over those images.
std::int64_t reestimate_batch_norms(Network& network,
                                    data::ImageDataset& calibration,
                                    std::int64_t num_images,
                                    std::int64_t batch_size);

}  // namespace pcmkit::nn
