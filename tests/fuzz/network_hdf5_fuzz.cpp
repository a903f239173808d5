// The weights and training-checkpoint readers (nn/weights_hdf5.h) on arbitrary bytes as a file:
// weights into a small CIFAR ResNet (depth 8, widths 4/8/16), and the checkpoint's /training
// group. A checkpoint is also a weights file, so every input goes through both.
#include "fuzz/fuzz_target.h"
#include "pcmkit/nn/weights_hdf5.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pcmkit;
  static nn::Network network = fuzz::small_cifar_resnet();
  const auto file = fuzz::fresh_scratch_dir() / "weights.h5";
  fuzz::write_bytes(file, data, size);
  fuzz::expect_success_or_input_error([&] { nn::load_weights_hdf5(file, network); });
  fuzz::expect_success_or_input_error([&] { nn::load_training_group(file); });
  return 0;
}
