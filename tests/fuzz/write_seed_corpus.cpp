// Writes the seeds of the network_hdf5 target that need pcmkit to make: the small ResNet's
// weights file and a checkpoint of it (a /training group with two arrays and a state).
//   fuzz_seed_corpus OUTPUT_FOLDER
#include <cstdio>
#include <filesystem>
#include <vector>

#include "fuzz/fuzz_target.h"
#include "pcmkit/nn/weights_hdf5.h"

int main(int argc, char** argv) {
  using namespace pcmkit;
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seed_corpus OUTPUT_FOLDER\n");
    return 2;
  }
  const std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out);
  nn::Network network = fuzz::small_cifar_resnet(1);
  const nn::InputNormalization normalization{{0.5f, 0.5f, 0.5f}, {0.25f, 0.25f, 0.25f}};
  nn::save_weights_hdf5(out / "weights.h5", network, normalization);
  nn::TrainingGroup training;
  training.arrays = {{"momentum.conv1.weight", std::vector<float>(108, 0.5f)},
                     {"ema.linear.bias", std::vector<float>(10, -1.0f)}};
  training.state_json = R"({"epoch": 3, "step": 1170})";
  nn::save_weights_hdf5(out / "checkpoint.h5", network, normalization, &training);
  std::printf("wrote %s/weights.h5 and checkpoint.h5\n", out.c_str());
  return 0;
}
