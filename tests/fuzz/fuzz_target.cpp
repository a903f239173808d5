#include "fuzz/fuzz_target.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>

#include "pcmkit/core/detail/isolated_call.h"
#include "pcmkit/core/error.h"
#include "pcmkit/nn/resnet.h"

namespace pcmkit::fuzz {

namespace {
Outcomes counted;
}  // namespace

const Outcomes& outcomes() { return counted; }

void expect_success_or_input_error(const std::function<void()>& read) {
  try {
    read();
    ++counted.accepted;
  } catch (const InputError&) {
    ++counted.refused;  // the refusal every bad input should get
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz finding: unexpected exception: %s\n", e.what());
    std::abort();
  }
}

void require(bool ok, std::string_view what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz finding: %.*s\n", static_cast<int>(what.size()), what.data());
    std::abort();
  }
}

namespace {

struct ScratchRoot {
  std::filesystem::path path;
  ScratchRoot() {
    const char* tmp = std::getenv("TMPDIR");
    path = std::filesystem::path(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") /
           ("pcmkit-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path);
  }
  ~ScratchRoot() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

}  // namespace

const std::filesystem::path& fresh_scratch_dir() {
  static ScratchRoot root;
  static const std::filesystem::path dir = root.path / "input";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void write_bytes(const std::filesystem::path& path, const std::uint8_t* data, std::size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  require(static_cast<bool>(out), "cannot write the scratch input " + path.string());
}

nn::Network small_cifar_resnet(std::uint64_t init_seed) {
  nn::CifarResNetOptions options;
  options.depth = 8;
  options.widths = {4, 8, 16};
  if (init_seed != 0) {
    options.init_seed = init_seed;
  }
  return nn::make_cifar_resnet(options);
}

}  // namespace pcmkit::fuzz

#ifdef PCMKIT_LIBFUZZER
// Under libFuzzer the HDF5 readers run in this process, so that their coverage guides the search
// (a forked reader's coverage would be lost). PCMKIT_FUZZ_ISOLATED=1 keeps pcmkit's isolation.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* isolated = std::getenv("PCMKIT_FUZZ_ISOLATED");
  if (isolated == nullptr || std::string(isolated) != "1") {
    pcmkit::run_isolated_in_process();
  }
  return 0;
}
#endif
