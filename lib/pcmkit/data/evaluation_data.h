// The test images and AdaBS calibration images of an evaluation, from a directory that holds
// either CIFAR-10 binary (test_batch.bin present; calibration from data_batch_1.bin, cropped and
// flipped as in training) or an ImageNet-style image folder (data/image_list.h; calibration from
// a second folder, the training split, of which `calibration_images` are taken round-robin
// across classes).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "pcmkit/data/image_dataset.h"
#include "pcmkit/data/image_preprocessing.h"

namespace pcmkit::data {

enum class DatasetKind { kCifar10Binary, kImageFolder };
const char* dataset_kind_name(DatasetKind kind);  // "cifar10", "image-folder"

// CIFAR-10 binary when dir/test_batch.bin exists, else an image folder.
DatasetKind detect_dataset_kind(const std::filesystem::path& dir);

// AdaBS calibration images used when none is asked for: 2600 for CIFAR-10 (Joshi et al. 2020),
// 1300 for ImageNet-style folders (issue #3).
std::int64_t default_adabs_images(DatasetKind kind);

struct EvaluationDataOptions {
  std::filesystem::path data_dir;  // test images
  // Calibration images: for CIFAR-10 the directory of data_batch_1.bin (empty = data_dir); for
  // an image folder the training folder (required when calibration images are asked for).
  std::filesystem::path calibration_dir;
  std::int64_t calibration_images = 0;  // 0 = no calibration set (no AdaBS)
  // CIFAR-10: crop and flip the calibration images as in training, with crops drawn for this
  // seed (data/cifar10_calibration_set.h says why). Image folders are never augmented.
  bool calibration_augmentation = true;
  // CIFAR-10, with calibration_augmentation: the side (pixels, 0..32; 0 = none) of the Cutout
  // square the network was trained with. Its running statistics are those of images with the
  // square cut out, and re-estimating them without it costs accuracy (1.75 points for the
  // distilled resnet32-pcm of issue #16, trained with Cutout 16, even with exact weights).
  int calibration_cutout = 0;
  std::uint64_t calibration_seed = 1;
  // Resize and crop apply to image folders only; the normalisation to both.
  ImagePreprocessing preprocessing;
  int num_classes = 1000;  // the network's outputs: labels must be below it
};

struct EvaluationData {
  DatasetKind kind = DatasetKind::kCifar10Binary;
  std::unique_ptr<ImageDataset> test;
  std::unique_ptr<ImageDataset> calibration;  // null when calibration_images == 0
};

// Errors: InputError naming the file or field: a data directory that does not exist
//   ("data_dir"), a missing calibration_dir for an image folder, bad normalisation or resize/crop,
//   and every error of the CIFAR-10 reader and of data/image_list.h.
EvaluationData open_evaluation_data(const EvaluationDataOptions& options);

}  // namespace pcmkit::data
