// Known answers from outside the code: the ../shared akamaster ResNet-20/32 weights must reach
// exactly their published CIFAR-10 test accuracies (91.73 %, 92.63 %) on all 10 000 test images,
// and their logits must match PyTorch 1.13's (reference_logits.h5) image by image.
// Skipped, with a message, when the shared directory is absent.
#include <H5Cpp.h>
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include "pcmkit/data/cifar10_binary.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/weights_hdf5.h"

namespace pcmkit::nn {
namespace {

namespace fs = std::filesystem;

const fs::path kShared = PCMKIT_SHARED_DIR;
// PyTorch's CPU convolutions sum in another order; the difference stays near 1e-5 on logits of
// magnitude ~10. The budget is 1e-3.
constexpr double kLogitTolerance = 1e-3;

RowMatrixXf reference_logits(const std::string& group) {
  H5::H5File h5((kShared / "weights" / "reference_logits.h5").string(), H5F_ACC_RDONLY);
  H5::DataSet ds = h5.openDataSet(group + "/logits");
  hsize_t dims[2] = {0, 0};
  REQUIRE(ds.getSpace().getSimpleExtentNdims() == 2);
  ds.getSpace().getSimpleExtentDims(dims);
  RowMatrixXf logits(static_cast<Index>(dims[0]), static_cast<Index>(dims[1]));
  ds.read(logits.data(), H5::PredType::NATIVE_FLOAT);
  return logits;
}

void check_model(const std::string& arch, const std::string& weights, int expected_correct) {
  const fs::path weights_file = kShared / "weights" / weights;
  const fs::path test_file = kShared / "cifar10" / "test_batch.bin";
  if (!fs::exists(weights_file) || !fs::exists(test_file)) {
    MESSAGE("skipped: " << weights_file << " or " << test_file << " not present");
    return;
  }
  Network net = make_resnet(arch);
  const WeightsFileInfo info = load_weights_hdf5(weights_file, net);
  REQUIRE(info.normalization.mean.size() == 3);
  const RowMatrixXf reference = reference_logits(arch);
  REQUIRE(reference.rows() == 10000);
  REQUIRE(reference.cols() == 10);

  data::CifarBinaryReader reader({test_file}, info.normalization);
  REQUIRE(reader.num_images() == 10000);
  data::CifarBatch batch;
  Index first = 0;
  int correct = 0, reference_agrees = 0;
  double max_error = 0.0;
  while (reader.next(500, batch)) {
    const RowMatrixXf logits = net.forward(std::move(batch.images));
    for (Index i = 0; i < logits.rows(); ++i) {
      Index predicted = 0, reference_predicted = 0;
      logits.row(i).maxCoeff(&predicted);
      reference.row(first + i).maxCoeff(&reference_predicted);
      correct += predicted == batch.labels[static_cast<std::size_t>(i)];
      reference_agrees += predicted == reference_predicted;
      max_error = std::max(
          max_error, double((logits.row(i) - reference.row(first + i)).cwiseAbs().maxCoeff()));
    }
    first += logits.rows();
  }
  CHECK(first == 10000);
  MESSAGE(arch << ": " << correct << " / 10000 correct, max |logit - PyTorch| = " << max_error);
  CHECK(correct == expected_correct);
  CHECK(reference_agrees == 10000);
  CHECK(max_error <= kLogitTolerance);
}

TEST_CASE("ResNet-20 from ../shared scores 91.73 % and matches PyTorch's logits") {
  check_model("resnet20", "resnet20-12fca82f.h5", 9173);
}

TEST_CASE("ResNet-32 from ../shared scores 92.63 % and matches PyTorch's logits") {
  check_model("resnet32", "resnet32-d509ac18.h5", 9263);
}

}  // namespace
}  // namespace pcmkit::nn
