// CifarCalibrationSet (data/cifar10_calibration_set.h): AdaBS images as training sees them, the
// same on every pass; without augmentation, exactly what CifarBinaryReader reads.
#include "pcmkit/data/cifar10_calibration_set.h"

#include <doctest/doctest.h>

#include <fstream>

#include "pcmkit/data/cifar10_binary.h"
#include "test_support/synthetic_cifar.h"
#include "test_support/temp_dir.h"

using namespace pcmkit;
namespace fs = std::filesystem;

namespace {

const nn::InputNormalization kNorm = {{0.49f, 0.48f, 0.45f}, {0.25f, 0.24f, 0.26f}};

// Every image of a dataset, in one batch per `batch` images, concatenated by image.
std::vector<nn::Tensor> all_batches(data::ImageDataset& d, std::int64_t batch) {
  std::vector<nn::Tensor> out;
  data::ImageBatch b;
  d.rewind();
  while (d.next(batch, b)) out.push_back(b.images);
  return out;
}

bool same(const std::vector<nn::Tensor>& a, const std::vector<nn::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].n() != b[i].n() || a[i].values() != b[i].values()) return false;
  return true;
}

}  // namespace

TEST_CASE("calibration images without augmentation are the binary reader's, batch by batch") {
  test::TempDir dir;
  const fs::path file = dir.path() / "data_batch_1.bin";
  test::write_synthetic_cifar(file, 0, 23);
  data::CifarBinaryReader reader({file}, kNorm);
  data::CifarCalibrationSet plain({file}, kNorm, {.enabled = false}, 1);
  CHECK(plain.num_images() == 23);
  CHECK(plain.num_classes() == 10);
  CHECK(same(all_batches(plain, 10), all_batches(reader, 10)));  // 10 + 10 + 3
}

TEST_CASE("augmented calibration images: cropped and flipped, the same on every pass and batch") {
  test::TempDir dir;
  const fs::path file = dir.path() / "data_batch_1.bin";
  test::write_synthetic_cifar(file, 0, 40);
  data::CifarCalibrationSet plain({file}, kNorm, {.enabled = false}, 1);
  data::CifarCalibrationSet augmented({file}, kNorm, {}, 1);
  const std::vector<nn::Tensor> first = all_batches(augmented, 16);
  CHECK(same(all_batches(augmented, 16), first));  // rewound: the same crops again
  // Another batch size gives the same images (crops depend on the image, not the batch).
  const std::vector<nn::Tensor> whole = all_batches(augmented, 40);
  REQUIRE(whole.size() == 1);
  Eigen::Index offset = 0;
  for (const nn::Tensor& t : first) {
    CHECK(whole[0].values().segment(offset, t.values().size()) == t.values());
    offset += t.values().size();
  }
  // Not vacuous: most images differ from the plain ones (a crop offset of (0, 0) without a flip
  // has probability 1/162), and black padding appears (a byte 0 normalises to −mean/std).
  const std::vector<nn::Tensor> unaugmented = all_batches(plain, 40);
  int changed = 0;
  for (Eigen::Index i = 0; i < 40; ++i)
    changed += whole[0].image(i) != unaugmented[0].image(i) ? 1 : 0;
  CHECK(changed >= 36);
  const float black_red = -kNorm.mean[0] / kNorm.std[0];
  CHECK((whole[0].values().array() == black_red).any());
  // Another seed draws other crops.
  data::CifarCalibrationSet other({file}, kNorm, {}, 2);
  CHECK_FALSE(same(all_batches(other, 40), whole));
  // Labels come with their images.
  data::ImageBatch b;
  augmented.rewind();
  REQUIRE(augmented.next(40, b));
  for (int k = 0; k < 40; ++k) CHECK(b.labels[static_cast<std::size_t>(k)] == k % 10);
  CHECK_FALSE(augmented.next(40, b));
}

TEST_CASE("calibration images with Cutout: the augmented images with one square of zeros each") {
  test::TempDir dir;
  const fs::path file = dir.path() / "data_batch_1.bin";
  test::write_synthetic_cifar(file, 0, 40);
  data::CifarCalibrationSet augmented({file}, kNorm, {}, 1);
  data::CifarCalibrationSet cut({file}, kNorm, {.cutout = 16}, 1);
  const nn::Tensor a = all_batches(augmented, 40).at(0), c = all_batches(cut, 40).at(0);
  CHECK(same(all_batches(cut, 16), all_batches(cut, 16)));  // the same squares on every pass
  for (Eigen::Index i = 0; i < 40; ++i) {
    // The pixels that differ lie in one square of side ≤ 16 (clipped at the border), are zero
    // in every channel there, and are the same crop elsewhere.
    int y0 = 32, y1 = -1, x0 = 32, x1 = -1, differing = 0;
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) {
        bool differs = false;
        for (int ch = 0; ch < 3; ++ch) differs = differs || a(i, ch, y, x) != c(i, ch, y, x);
        if (!differs) continue;
        ++differing;
        for (int ch = 0; ch < 3; ++ch) CHECK(c(i, ch, y, x) == 0.0f);
        y0 = std::min(y0, y), y1 = std::max(y1, y), x0 = std::min(x0, x), x1 = std::max(x1, x);
      }
    CHECK(differing > 0);  // synthetic pixels are not zero after normalisation
    CHECK(y1 - y0 < 16);
    CHECK(x1 - x0 < 16);
    CHECK(differing <= (y1 - y0 + 1) * (x1 - x0 + 1));
  }
}
