// pcmkit model show: print a model file's coefficients and the curves they imply.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace pcmkit::cli {

struct ModelOptions {
  std::string file;
  std::string write_published;  // `model published -o FILE`
};

void add_model_command(CLI::App& app, ModelOptions& options);
int run_model_show(const ModelOptions& options);
int run_model_published(const ModelOptions& options);

}  // namespace pcmkit::cli
