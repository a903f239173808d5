// Example: the hardware-aware training step of Joshi et al. (2020) written out with the library's
// parts, for who wants a loop of their own (another noise model, another optimiser):
//   draw weight noise into every analog layer (analog::inject_weight_noise),
//   forward and backward on the noisy weights (nn::Network::forward_train / backward),
//   one SGD step on the clean master weights (nn::Sgd), then clip them (analog::clip_weights).
// `pcmkit train` runs this loop with schedules, checkpoints and logs (experiment/training.h).
// Trains resnet32-pcm from scratch for a few steps on the CIFAR-10 training split and prints the
// loss per step.
// Usage: example_hardware_aware_steps [CIFAR10_DIR] [STEPS]
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "pcmkit/analog/weight_noise.h"
#include "pcmkit/data/cifar10_binary.h"
#include "pcmkit/data/cifar10_training_set.h"
#include "pcmkit/nn/initialization.h"
#include "pcmkit/nn/loss.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/sgd.h"

using namespace pcmkit;

int main(int argc, char** argv) try {
  const std::filesystem::path cifar_dir = argc > 1 ? argv[1] : data::default_cifar10_dir();
  int steps = 10;
  if (argc > 2) {  // all of it a whole number: "10x" is refused, not read as 10
    const std::string text = argv[2];
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), steps);
    if (error != std::errc() || end != text.data() + text.size() || steps < 1)
      throw std::invalid_argument("STEPS must be a whole number >= 1, not '" + text + "'");
  }
  const std::int64_t batch_size = 128;
  const double eta = 0.038, alpha = 2.0, learning_rate = 0.1;  // the paper's η and α
  const std::uint64_t seed = 1;

  nn::Network network = nn::make_resnet("resnet32-pcm");
  nn::initialize_for_training(network, seed);
  const data::CifarTrainingSet train(data::cifar10_training_files(cifar_dir),
                                     data::cifar10_normalization());
  nn::Sgd sgd(network.parameters(), {.momentum = 0.9, .nesterov = true, .weight_decay = 5e-4});
  const std::vector<nn::AnalogLayerRef> layers = network.analog_layers();
  const std::vector<std::int64_t> order = data::shuffled_order(train.num_images(), seed, 0);
  if (steps * batch_size > train.num_images())
    throw std::invalid_argument("STEPS: more than one epoch of batches of 128");

  data::CifarBatch batch;
  for (int step = 0; step < steps; ++step) {
    const std::span<const std::int64_t> indices(order.data() + step * batch_size, batch_size);
    train.make_batch(indices, data::CifarAugmentation{}, seed, /*epoch=*/0, batch);
    analog::inject_weight_noise(layers, eta, seed, static_cast<std::uint64_t>(step));
    network.zero_grad();
    const nn::RowMatrixXf logits = network.forward_train(std::move(batch.images));
    const nn::CrossEntropyResult loss = nn::softmax_cross_entropy(logits, batch.labels);
    network.backward(loss.dlogits);
    sgd.step(learning_rate);  // updates the clean master weights, not W + δW
    analog::clip_weights(layers, alpha);
    std::printf("step %3d  loss %.4f  batch accuracy %5.1f%%\n", step + 1, loss.loss,
                100.0 * static_cast<double>(loss.num_correct) / static_cast<double>(batch_size));
  }
  analog::clear_weight_noise(layers);  // evaluation uses the clean weights
  network.refresh();
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "example_hardware_aware_steps: error: %s\n", e.what());
  return 1;
}
