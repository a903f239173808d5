// The networks pcmkit ships (data/resnet32-pcm-*.h5) are what the README says they are: the
// paper's ResNet-32 with exactly 361,722 analog weights, and the fp32 test accuracy that PyTorch
// gives the same file (tools/reference_drift_evaluation.py's make_network, an independent
// implementation: its number of correct images is the expected value here). The test set is read
// from ../shared; skipped, with a message, when it is absent.
#include <doctest/doctest.h>

#include <filesystem>

#include "pcmkit/data/cifar10_binary.h"
#include "pcmkit/nn/linear.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/weights_hdf5.h"

namespace pcmkit::nn {
namespace {

namespace fs = std::filesystem;

void check_shipped(const std::string& file, int pytorch_correct) {
  const fs::path weights = fs::path(PCMKIT_SOURCE_DIR) / "data" / file;
  Network net = make_resnet("resnet32-pcm");
  const WeightsFileInfo info = load_weights_hdf5(weights, net);
  Index analog = 0;
  for (const AnalogLayerRef& ref : net.analog_layers()) {
    analog += ref.layer->master_weight().size();
    if (auto* linear = dynamic_cast<Linear*>(ref.layer)) analog += linear->bias().size();
    CHECK(ref.layer->master_weight().allFinite());
  }
  CHECK(analog == 361722);

  const fs::path test_file = fs::path(PCMKIT_SHARED_DIR) / "cifar10" / "test_batch.bin";
  if (!fs::exists(test_file)) {
    MESSAGE("accuracy skipped: " << test_file << " not present");
    return;
  }
  data::CifarBinaryReader reader({test_file}, info.normalization);
  REQUIRE(reader.num_images() == 10000);
  data::CifarBatch batch;
  int correct = 0;
  while (reader.next(500, batch)) {
    const RowMatrixXf logits = net.forward(std::move(batch.images));
    for (Index i = 0; i < logits.rows(); ++i) {
      Index predicted = 0;
      logits.row(i).maxCoeff(&predicted);
      correct += predicted == batch.labels[static_cast<std::size_t>(i)] ? 1 : 0;
    }
  }
  CHECK(correct == pytorch_correct);
}

// PyTorch 1.13 (Debian's python3-torch) on all 10,000 test images, from
//   tools/reference_drift_evaluation.py --weights data/FILE --times 25 --repeats 1 ...
// ("fp32 accuracy: X% on 10000 test images").
TEST_CASE("The shipped hardware-aware network: 361,722 analog weights, PyTorch's accuracy") {
  check_shipped("resnet32-pcm-hwa.h5", 9391);
}

TEST_CASE("The shipped baseline network: 361,722 analog weights, PyTorch's accuracy") {
  check_shipped("resnet32-pcm-baseline.h5", 9304);
}

}  // namespace
}  // namespace pcmkit::nn
