// pcmkit evaluate: accuracy of a network on PCM against time after programming.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace pcmkit::cli {

struct EvaluateOptions {
  std::string model;           // device model JSON
  std::string device = "pcm";  // "pcm" or "ideal"
  std::string weights;
  std::string arch = "resnet32";
  std::string data_dir;
  std::string calibration_data;  // AdaBS images: image-folder training split (or CIFAR-10 dir)
  int resize = 256;              // image folders: Resize(shorter side)
  int crop = 224;                // image folders: CenterCrop
  std::string times = "25,1h,1d,30d,1y";
  int repeats = 10;
  std::string compensation = "none,gdc,adabs";
  std::uint64_t seed = 1;
  long batch_size = 200;
  long max_images = 0;
  std::optional<long> adabs_images;  // unset: 2600 for CIFAR-10, 1300 for image folders
  bool adabs_augmentation = true;    // CIFAR-10: calibration images cropped and flipped
  std::optional<int> adabs_cutout;   // CIFAR-10: and a Cutout square (unset: the weights file's)
  bool first_digital = false;
  bool last_digital = false;
  int dac_bits = 0;  // 0 = ideal DAC, ADC and untiled crossbar (the default)
  int adc_bits = 0;
  double adc_range = 10.0;
  std::string tile_size = "0x0";
  int threads = 0;
  bool quiet = false;
  bool resume = false;  // continue the sweep journalled in the output folder
  std::string output;
};

void add_evaluate_command(CLI::App& app, EvaluateOptions& options);
int run_evaluate(const EvaluateOptions& options);

}  // namespace pcmkit::cli
