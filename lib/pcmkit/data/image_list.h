// Which image files make up an ImageNet-style data set, and their labels, in a fixed order.
// Two layouts of a directory DIR:
//   ImageFolder  (torchvision.datasets.ImageFolder) one sub-directory per class; the classes
//                sorted by name are labels 0, 1, ...; a class's files are every *.jpg / *.jpeg
//                (any case) below its directory, sorted by (directory path, file name) as
//                torchvision's sorted(os.walk(...)) and sorted(file names) give them. Other files
//                are ignored; other image types torchvision would read (.png, .bmp, ...) are an
//                error, since only JPEG is decoded.
//   label list   DIR/labels.txt (kLabelListName) and the images beside it: one line per image,
//                "<file name> <label index>" separated by white space (the name is everything
//                before the last run of white space, so it may contain spaces); empty lines and
//                lines starting with '#' are skipped. Images are in the order of the list.
// Names are compared as bytes (Python's order for UTF-8 names).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace pcmkit::data {

inline constexpr const char* kLabelListName = "labels.txt";

struct LabelledFile {
  std::filesystem::path path;
  int label = 0;
};

struct ImageList {
  std::vector<LabelledFile> files;
  int num_classes = 0;                   // labels are in 0..num_classes − 1
  std::vector<std::string> class_names;  // ImageFolder: the folder of each label; else empty
};

// The ImageFolder layout. `max_classes` is the network's output count.
// Errors: InputError{dir, "", problem} for a missing directory, no class folder, a class folder
//   without JPEG files, a non-JPEG image file, or more class folders than max_classes.
ImageList list_class_folders(const std::filesystem::path& dir, int max_classes);

// The label-list layout; labels must be in 0..num_classes − 1 (the network's output count).
// Errors: InputError{dir/labels.txt, "line K", problem} for a malformed line, a label out of
//   range, a file listed twice or a listed file that does not exist; InputError{..., "", ...}
//   for an unreadable or empty list.
ImageList read_label_list(const std::filesystem::path& dir, int num_classes);

// read_label_list when DIR/labels.txt exists, else list_class_folders.
ImageList list_images(const std::filesystem::path& dir, int num_classes);

// Up to `count` files taken round-robin across classes: the first file of every class (in label
// order), then the second of every class, and so on, skipping classes that have run out; the
// files of a class keep their order in `list`. Deterministic, and spread over the classes even
// when count is far below the size of the list (AdaBS calibration images: the first 1,300 files
// of a sorted ImageFolder would be one or two classes). Requires: count ≥ 0.
ImageList round_robin_by_class(const ImageList& list, std::int64_t count);

}  // namespace pcmkit::data
