// Replays fuzz inputs through one target without libFuzzer: every file named, and every file in
// every folder named (sorted), in this process. The tests replay the committed corpora with it.
//   <target>_replay [--isolated] PATH...
// --isolated keeps pcmkit's reader isolation (core/untrusted_files.h): the corpus of inputs that
// crash libhdf5 itself is replayed so, and must end in InputError like any damaged file.
// Without it the readers run in this process, where a sanitizer sees all of their code.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/fuzz_target.h"
#include "pcmkit/core/detail/isolated_call.h"

int main(int argc, char** argv) {
  bool isolated = false;
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--isolated") {
      isolated = true;
    } else if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (entry.is_regular_file()) {
          files.push_back(entry.path());
        }
      }
    } else if (std::filesystem::is_regular_file(arg)) {
      files.push_back(arg);
    } else {
      std::fprintf(stderr, "%s: not a file or folder\n", arg.c_str());
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  if (!isolated) {
    pcmkit::run_isolated_in_process();
  }
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                  std::istreambuf_iterator<char>()};
    std::fprintf(stderr, "replaying %s (%zu bytes)\n", file.c_str(), bytes.size());
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  const auto& outcomes = pcmkit::fuzz::outcomes();
  if (isolated && outcomes.accepted > 0) {
    std::fprintf(stderr, "%ld of %zu contained inputs were accepted: each must be refused\n",
                 outcomes.accepted, files.size());
    return 1;
  }
  std::printf("%zu inputs replayed, none a finding: %ld reads accepted, %ld refused\n",
              files.size(), outcomes.accepted, outcomes.refused);
  return files.empty() ? 1 : 0;
}
