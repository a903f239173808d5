// Image-folder data sets (data/image_list.h, data/image_folder_reader.h) from arbitrary bytes:
// the text before the first NUL byte is labels.txt, the bytes after it are written as the JPEG
// files a.jpg, b.jpg and c d.jpg beside it. Without a NUL byte (or with an empty list) the bytes
// are one JPEG in each of two class folders instead. The set is listed, sampled round-robin and
// read to the end at 32 x 32.
#include <algorithm>
#include <string>

#include "fuzz/fuzz_target.h"
#include "pcmkit/data/image_folder_reader.h"
#include "pcmkit/data/image_list.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pcmkit;
  const auto& dir = fuzz::fresh_scratch_dir();
  const auto* end = data + size;
  const auto* nul = std::find(data, end, std::uint8_t{0});
  const std::size_t list_size = static_cast<std::size_t>(nul - data);
  if (nul != end && list_size > 0) {
    fuzz::write_bytes(dir / data::kLabelListName, data, list_size);
    const std::uint8_t* jpeg = nul + 1;
    const auto jpeg_size = static_cast<std::size_t>(end - jpeg);
    for (const char* name : {"a.jpg", "b.jpg", "c d.jpg"}) {
      fuzz::write_bytes(dir / name, jpeg, jpeg_size);
    }
  } else {
    const std::uint8_t* jpeg = nul == end ? data : nul + 1;
    const auto jpeg_size = static_cast<std::size_t>(end - jpeg);
    for (const char* name : {"cat/x.jpg", "dog/deep/y.JPEG"}) {
      std::filesystem::create_directories((dir / name).parent_path());
      fuzz::write_bytes(dir / name, jpeg, jpeg_size);
    }
  }
  fuzz::expect_success_or_input_error([&] {
    const data::ImageList list = data::list_images(dir, 10);
    fuzz::require(!list.files.empty() && list.num_classes >= 1 && list.num_classes <= 10,
                  "a listed set has files and at most 10 classes");
    const data::ImageList sample = data::round_robin_by_class(list, 2);
    fuzz::require(sample.files.size() == std::min<std::size_t>(2, list.files.size()),
                  "round-robin takes what is asked");
    data::ImagePreprocessing options;
    options.resize_shorter_side = 40;
    options.crop_size = 32;
    data::ImageFolderReader reader(list, options);
    data::ImageBatch batch;
    std::int64_t images = 0;
    while (reader.next(2, batch)) {
      images += batch.images.n();
      for (const int label : batch.labels) {
        fuzz::require(label >= 0 && label < list.num_classes, "labels in range");
      }
    }
    fuzz::require(images == reader.num_images(), "every image read once");
  });
  return 0;
}
