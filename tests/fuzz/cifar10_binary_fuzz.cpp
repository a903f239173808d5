// The CIFAR-10 loaders on arbitrary bytes as both test_batch.bin and data_batch_1.bin: the
// evaluation's test set and its AdaBS calibration set (cropped and flipped), read to the end.
#include "fuzz/fuzz_target.h"
#include "pcmkit/data/cifar10_binary.h"
#include "pcmkit/data/evaluation_data.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pcmkit;
  const auto& dir = fuzz::fresh_scratch_dir();
  fuzz::write_bytes(dir / "test_batch.bin", data, size);
  fuzz::write_bytes(dir / "data_batch_1.bin", data, size);
  fuzz::expect_success_or_input_error([&] {
    data::EvaluationDataOptions options;
    options.data_dir = dir;
    options.calibration_images = 5;
    options.preprocessing.normalization = data::cifar10_normalization();
    options.num_classes = 10;
    auto sets = data::open_evaluation_data(options);
    data::ImageBatch batch;
    for (auto* set : {sets.test.get(), sets.calibration.get()}) {
      std::int64_t images = 0;
      while (set->next(3, batch)) {
        images += batch.images.n();
        fuzz::require(batch.images.values().allFinite(), "finite pixels");
        for (const int label : batch.labels) {
          fuzz::require(label >= 0 && label < set->num_classes(), "labels in range");
        }
      }
      fuzz::require(images == set->num_images(), "every image read once");
    }
  });
  return 0;
}
