// The record of a training run: log.csv (one row per epoch) and training.png (gnuplot: loss,
// and train and test accuracy, against epoch), rewritten after every epoch.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pcmkit/core/atomic_file.h"
#include "pcmkit/experiment/training.h"

namespace pcmkit::experiment {

// One line for people: "epoch 12/200  lr 0.0950  loss 0.512  train 82.31%  test 80.12%  57.1 s".
std::string epoch_summary(const EpochRecord& record, int epochs);

// Adds log.csv, training.gp and (when gnuplot can draw it, from two epochs on) training.png in
// dir to `outputs`. Returns the files added. Errors: RunError when dir cannot be written.
std::vector<std::filesystem::path> add_training_log(OutputSet& outputs,
                                                    const std::vector<EpochRecord>& log,
                                                    const std::filesystem::path& dir);
// The same files on their own, together or not at all.
std::vector<std::filesystem::path> write_training_log(const std::vector<EpochRecord>& log,
                                                      const std::filesystem::path& dir);

}  // namespace pcmkit::experiment
