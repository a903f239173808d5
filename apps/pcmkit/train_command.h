// pcmkit train: trains a CIFAR-10 ResNet, optionally hardware-aware (weight noise, clipping).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pcmkit::cli {

struct TrainOptions {
  std::string arch = "resnet32-pcm";
  std::string data_dir;
  int epochs = 200;
  long batch_size = 128;
  double lr = 0.1;
  std::string schedule = "cosine";
  std::string milestones = "100,150";
  double gamma = 0.1;
  double warmup = 0.3;
  double momentum = 0.9;
  bool nesterov = true;
  double weight_decay = 5e-4;
  bool no_decay_bn_bias = false;
  double label_smoothing = 0.0;
  bool hardware_aware = false;         // the paper's weight noise and clipping
  std::optional<double> weight_noise;  // unset: 0, or the paper's with --hardware-aware
  std::optional<double> clip;
  int frozen_bn_epochs = 0;
  int cutout = 0;
  double mixup = 0.0;  // alpha, 0 = off
  double cutmix = 0.0;
  double mix_probability = 1.0;
  double ema_decay = 0.0;
  std::int64_t ema_bn_images = 0;
  std::vector<std::string> teachers;
  std::string teacher_arch;  // empty: --arch
  double distill_weight = 0.0;
  double distill_temperature = 4.0;
  bool no_augmentation = false;
  std::string init_weights;
  bool resume = false;
  std::uint64_t seed = 1;
  long max_train_images = 0;
  long max_test_images = 0;
  int threads = 0;
  bool quiet = false;
  std::string output;
};

void add_train_command(CLI::App& app, TrainOptions& options);
int run_train(const TrainOptions& options);

}  // namespace pcmkit::cli
