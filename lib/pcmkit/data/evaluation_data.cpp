#include "pcmkit/data/evaluation_data.h"

#include <system_error>

#include "pcmkit/core/error.h"
#include "pcmkit/data/cifar10_binary.h"
#include "pcmkit/data/cifar10_calibration_set.h"
#include "pcmkit/data/image_folder_reader.h"
#include "pcmkit/data/image_list.h"

namespace pcmkit::data {

namespace fs = std::filesystem;

const char* dataset_kind_name(DatasetKind kind) {
  return kind == DatasetKind::kCifar10Binary ? "cifar10" : "image-folder";
}

DatasetKind detect_dataset_kind(const fs::path& dir) {
  std::error_code ec;
  return fs::exists(cifar10_test_file(dir), ec) ? DatasetKind::kCifar10Binary
                                                : DatasetKind::kImageFolder;
}

std::int64_t default_adabs_images(DatasetKind kind) {
  return kind == DatasetKind::kCifar10Binary ? 2600 : 1300;
}

EvaluationData open_evaluation_data(const EvaluationDataOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(options.data_dir, ec))
    throw InputError("", "data_dir",
                     options.data_dir.string() +
                         ": no such directory (expected CIFAR-10 binary with test_batch.bin, or an "
                         "image folder)");
  options.preprocessing.validate();
  if (options.calibration_cutout < 0 || options.calibration_cutout > 32)
    throw InputError(
        "", "calibration_cutout",
        "must be in 0..32 pixels (0 = none), not " + std::to_string(options.calibration_cutout));
  EvaluationData data;
  data.kind = detect_dataset_kind(options.data_dir);
  const nn::InputNormalization& norm = options.preprocessing.normalization;
  if (data.kind == DatasetKind::kCifar10Binary) {
    data.test = std::make_unique<CifarBinaryReader>(
        std::vector<fs::path>{cifar10_test_file(options.data_dir)}, norm);
    if (options.calibration_images > 0) {
      const fs::path dir =
          options.calibration_dir.empty() ? options.data_dir : options.calibration_dir;
      CifarAugmentation augmentation;
      augmentation.enabled = options.calibration_augmentation;
      augmentation.cutout = options.calibration_cutout;
      data.calibration =
          std::make_unique<CifarCalibrationSet>(std::vector<fs::path>{dir / "data_batch_1.bin"},
                                                norm, augmentation, options.calibration_seed);
    }
    return data;
  }
  data.test = std::make_unique<ImageFolderReader>(
      list_images(options.data_dir, options.num_classes), options.preprocessing);
  if (options.calibration_images > 0) {
    if (options.calibration_dir.empty())
      throw InputError("", "calibration_dir",
                       "AdaBS on an image folder needs training images: give the training "
                       "split's folder, or evaluate without AdaBS");
    const ImageList training = list_images(options.calibration_dir, options.num_classes);
    data.calibration = std::make_unique<ImageFolderReader>(
        round_robin_by_class(training, options.calibration_images), options.preprocessing);
  }
  return data;
}

}  // namespace pcmkit::data
