// A training run's checkpoint: a weights file (nn/weights_hdf5.h, loadable by `pcmkit evaluate`)
// whose group /training holds the SGD momentum buffers and, as JSON (schema
// "pcmkit.training-checkpoint/1"), the options and the per-epoch log. Together with the
// counter-based random numbers that is the whole state of a run: resuming from the checkpoint of
// epoch e gives bit for bit the weights an uninterrupted run has after every later epoch. It also
// names the weights file a fine-tuning run started from, so a resumed run still records it.
// With EMA (TrainingOptions::ema_decay) the file's weights are the average, the network the run
// exports, and /training also holds the last iterate ("iterate.<name>") that training goes on
// from; with re-estimated BatchNorm statistics (ema_batch_norm_images) the file's statistics are
// those, and /training keeps the average's own ("average.<name>"), which it goes on averaging.
#pragma once

#include <filesystem>
#include <string>

#include "pcmkit/core/atomic_file.h"
#include "pcmkit/experiment/training.h"
#include "pcmkit/nn/input_normalization.h"

namespace pcmkit::experiment {

// The options as JSON (every setting, for checkpoints and settings.json).
std::string training_options_json(const TrainingOptions& options);
// settings.json of a run: {"arch", "init_weights", "data", "options"}, indented.
std::string training_settings_json(const std::string& arch,
                                   const std::string& init_weights,
                                   const std::string& data_dir,
                                   const TrainingOptions& options);

// Writes the checkpoint atomically; init_weights is the file the run started from ("" for a run
// from scratch). Errors: RunError when it cannot be written.
void save_training_checkpoint(const std::filesystem::path& path,
                              Trainer& trainer,
                              const nn::InputNormalization& normalization,
                              const std::string& init_weights);
// The checkpoint added to `outputs` (with the run's log and figure, say).
void add_training_checkpoint(OutputSet& outputs,
                             const std::filesystem::path& path,
                             Trainer& trainer,
                             const nn::InputNormalization& normalization,
                             const std::string& init_weights);

// What a checkpoint holds beside the trainer's state.
struct TrainingCheckpointInfo {
  nn::InputNormalization normalization;
  std::string init_weights;  // "" for a run from scratch (and for checkpoints that predate it)
};

// Restores the trainer's network (weights, BatchNorm statistics), momentum buffers and log from
// a checkpoint written with the same options; returns its input normalisation and start file.
// Errors: InputError{file, field, problem} for a file that is not a checkpoint of this
//   architecture, or whose options differ from the trainer's (field: the option's name, e.g.
//   "options.learning_rate"), or whose buffers do not match the network. Nothing is changed on
//   error.
TrainingCheckpointInfo load_training_checkpoint(const std::filesystem::path& path,
                                                Trainer& trainer);

}  // namespace pcmkit::experiment
