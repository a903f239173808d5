// ImageFolderReader and open_evaluation_data on folders of the committed JPEG fixtures:
// batches carry the preprocessed images and labels in list order, rewinding restarts, the
// thread count changes nothing, a bad file in a batch names itself, and the data directory's
// kind (CIFAR-10 binary or image folder) decides the reader and the default AdaBS count.
#include "pcmkit/data/image_folder_reader.h"

#include <doctest/doctest.h>
#include <omp.h>

#include <filesystem>

#include "data_loading/image_fixtures.h"
#include "pcmkit/core/error.h"
#include "pcmkit/data/evaluation_data.h"
#include "test_support/temp_dir.h"

namespace pcmkit::data {
namespace {

namespace fs = std::filesystem;
using pcmkit::test::TempDir;
using test::kImageDir;

// An ImageFolder: class "a" holds landscape, portrait, gray; class "b" holds small, exact,
// square444 (file names chosen so that sorting keeps this order).
void make_folder(const fs::path& root) {
  const std::vector<std::pair<std::string, std::string>> files = {
      {"a/1.jpg", "landscape"}, {"a/2.jpg", "portrait"}, {"a/3.jpg", "gray"},
      {"b/1.jpg", "small"},     {"b/2.jpg", "exact"},    {"b/3.jpg", "square444"}};
  for (const auto& [to, from] : files) {
    fs::create_directories((root / to).parent_path());
    fs::copy_file(kImageDir / (from + ".jpg"), root / to);
  }
}

const ImagePreprocessing kSmall{40, 32, {{0.5f, 0.25f, 0.125f}, {0.5f, 2.0f, 1.0f}}};

std::vector<float> one_image(const std::string& fixture) {
  std::vector<float> x(3 * 32 * 32);
  preprocess_image(decode_jpeg_file(kImageDir / (fixture + ".jpg")), kSmall, x.data());
  return x;
}

}  // namespace

TEST_CASE("an image folder streams preprocessed images and labels in batches, and rewinds") {
  TempDir dir;
  make_folder(dir.path());
  ImageFolderReader reader(list_images(dir.path(), 1000), kSmall);
  CHECK(reader.num_images() == 6);
  CHECK(reader.num_classes() == 2);
  ImageBatch batch;
  std::vector<int> sizes, labels;
  std::vector<float> all;
  while (reader.next(4, batch)) {
    CHECK(batch.images.channels() == 3);
    CHECK(batch.images.height() == 32);
    CHECK(batch.images.width() == 32);
    sizes.push_back(static_cast<int>(batch.images.n()));
    labels.insert(labels.end(), batch.labels.begin(), batch.labels.end());
    all.insert(all.end(), batch.images.data(), batch.images.data() + batch.images.size());
  }
  CHECK(sizes == std::vector<int>{4, 2});
  CHECK(labels == std::vector<int>{0, 0, 0, 1, 1, 1});
  CHECK(batch.images.n() == 0);
  const std::vector<float> portrait = one_image("portrait");
  CHECK(std::equal(portrait.begin(), portrait.end(), all.begin() + 3 * 32 * 32));
  const std::vector<float> square = one_image("square444");
  CHECK(std::equal(square.begin(), square.end(), all.begin() + 5 * 3 * 32 * 32));
  reader.rewind();
  REQUIRE(reader.next(1, batch));
  const std::vector<float> landscape = one_image("landscape");
  CHECK(std::equal(landscape.begin(), landscape.end(), batch.images.data()));
}

TEST_CASE("batches do not depend on the thread count") {
  TempDir dir;
  make_folder(dir.path());
  const int threads = omp_get_max_threads();
  std::vector<std::vector<float>> runs;
  for (int t : {1, 3}) {
    omp_set_num_threads(t);
    ImageFolderReader reader(list_images(dir.path(), 10), kSmall);
    ImageBatch batch;
    REQUIRE(reader.next(6, batch));
    runs.emplace_back(batch.images.data(), batch.images.data() + batch.images.size());
  }
  omp_set_num_threads(threads);
  CHECK(runs[0] == runs[1]);
}

TEST_CASE("the first bad file of a batch is named in a one-line error") {
  TempDir dir;
  make_folder(dir.path());
  std::ofstream(dir / "b/2.jpg", std::ios::trunc) << "not a jpeg";
  fs::resize_file(dir / "b/3.jpg", 100);  // truncated
  ImageFolderReader reader(list_images(dir.path(), 10), kSmall);
  ImageBatch batch;
  REQUIRE(reader.next(3, batch));
  std::string error;
  try {
    reader.next(3, batch);
  } catch (const InputError& e) {
    error = e.what();
  }
  CAPTURE(error);
  CHECK(error.rfind((dir / "b/2.jpg").string() + ": ", 0) == 0);
  CHECK(error.find('\n') == std::string::npos);
}

TEST_CASE("evaluation data: CIFAR-10 binary or image folder, calibration round-robin") {
  TempDir dir;
  make_folder(dir / "val");
  make_folder(dir / "train");
  fs::create_directories(dir / "cifar");
  {
    std::ofstream out(dir / "cifar/test_batch.bin", std::ios::binary);
    for (int j = 0; j < 3073 * 2; ++j) out.put(static_cast<char>(j % 3073 == 0 ? 3 : j % 256));
  }
  fs::copy_file(dir / "cifar/test_batch.bin", dir / "cifar/data_batch_1.bin");
  CHECK(detect_dataset_kind(dir / "cifar") == DatasetKind::kCifar10Binary);
  CHECK(detect_dataset_kind(dir / "val") == DatasetKind::kImageFolder);
  CHECK(default_adabs_images(DatasetKind::kCifar10Binary) == 2600);
  CHECK(default_adabs_images(DatasetKind::kImageFolder) == 1300);

  EvaluationDataOptions options;
  options.data_dir = dir / "cifar";
  options.calibration_images = 2;
  EvaluationData cifar = open_evaluation_data(options);
  CHECK(cifar.kind == DatasetKind::kCifar10Binary);
  CHECK(cifar.test->num_images() == 2);
  CHECK(cifar.test->num_classes() == 10);
  CHECK(cifar.calibration->num_images() == 2);
  for (int cutout : {-1, 33}) {
    EvaluationDataOptions bad = options;
    bad.calibration_cutout = cutout;
    CHECK_THROWS_WITH_AS(open_evaluation_data(bad), doctest::Contains("calibration_cutout"),
                         InputError);
  }

  options.data_dir = dir / "val";
  options.calibration_dir = dir / "train";
  options.calibration_images = 3;
  options.preprocessing = kSmall;
  EvaluationData folder = open_evaluation_data(options);
  CHECK(folder.kind == DatasetKind::kImageFolder);
  CHECK(folder.test->num_images() == 6);
  ImageBatch batch;
  REQUIRE(folder.calibration->next(10, batch));
  CHECK(batch.labels == std::vector<int>{0, 1, 0});  // a/1, b/1, a/2
  const std::vector<float> small = one_image("small");
  CHECK(std::equal(small.begin(), small.end(), batch.images.data() + 3 * 32 * 32));

  options.calibration_dir.clear();
  CHECK_THROWS_WITH_AS(open_evaluation_data(options), doctest::Contains("calibration_dir"),
                       InputError);
  options.calibration_images = 0;
  CHECK(open_evaluation_data(options).calibration == nullptr);
  options.data_dir = dir / "nowhere";
  CHECK_THROWS_WITH_AS(open_evaluation_data(options), doctest::Contains("no such directory"),
                       InputError);
}

}  // namespace pcmkit::data
