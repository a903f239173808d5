// Network weights in HDF5, as h5py writes a PyTorch state_dict: one float dataset per tensor at
// the root, named by its state_dict key ("layer1.0.bn1.running_var"; the dots are part of the
// name), with the tensor's shape. Optional root attributes input_normalization_mean and
// input_normalization_std (one float per input channel). Other root attributes are ignored, and
// so are BatchNorm "<bn>.num_batches_tracked" datasets (PyTorch ≥ 0.4 writes them; unused in
// evaluation).
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "pcmkit/core/atomic_file.h"
#include "pcmkit/nn/input_normalization.h"
#include "pcmkit/nn/network.h"

namespace pcmkit::nn {

struct WeightsFileInfo {
  InputNormalization normalization;  // empty when the file has no normalisation attributes
  // Attribute "training_cutout": the side (pixels) of the Cutout square the network was trained
  // with (pcmkit train --cutout), which AdaBS must reproduce (data/evaluation_data.h); 0 when
  // absent.
  int training_cutout = 0;
};

// Loads every parameter and buffer of `network` from `path`, then calls network.refresh().
// libhdf5 parses the file in a child process (core/untrusted_files.h): a damaged file is an
// InputError, never a crash. The same holds for load_training_group.
// Errors: InputError{file, tensor, problem} for a missing file, a file that is not HDF5, a
//   missing, extra, mis-shaped, non-float or non-finite tensor, and normalisation attributes
//   of the wrong length or with std ≤ 0. The network is unchanged on error.
WeightsFileInfo load_weights_hdf5(const std::filesystem::path& path, Network& network);

// What a training checkpoint adds to a weights file, in the group /training (which
// load_weights_hdf5 ignores, so a checkpoint is also a weights file): named float arrays (the
// optimiser's buffers) as 1-D datasets /training/<name>, and a text attribute "state" (JSON).
struct TrainingGroup {
  std::vector<std::pair<std::string, std::vector<float>>> arrays;
  std::string state_json;
};

// Writes every parameter and buffer of `network` as float32 datasets (and the normalisation
// attributes when non-empty, the attribute "arch", and /training when `training` is set),
// atomically.
// Errors: RunError when the file cannot be written.
// `training_cutout` > 0 is written as the attribute "training_cutout".
void save_weights_hdf5(const std::filesystem::path& path,
                       Network& network,
                       const InputNormalization& normalization,
                       const TrainingGroup* training = nullptr,
                       int training_cutout = 0);
// The same file added to `outputs`, to replace an earlier one together with the set's others.
void add_weights_hdf5(OutputSet& outputs,
                      const std::filesystem::path& path,
                      Network& network,
                      const InputNormalization& normalization,
                      const TrainingGroup* training = nullptr,
                      int training_cutout = 0);

// Reads the group /training of a checkpoint written by save_weights_hdf5.
// Errors: InputError{file, "training[/name]", problem} for a missing file, group or "state"
//   attribute, or an array that is not a 1-D float dataset.
TrainingGroup load_training_group(const std::filesystem::path& path);

}  // namespace pcmkit::nn
