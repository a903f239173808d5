// What every fuzz target shares (tests/fuzz/*_fuzz.cpp). A target implements
// LLVMFuzzerTestOneInput: it hands the bytes to one reader of untrusted input the way pcmkit's
// commands do, and accepts exactly one outcome besides success: an InputError (one line naming
// the file, field and problem). Any other exception, a crash, a sanitizer report, a hang or a
// runaway allocation is a finding.
// The same target builds two ways (tests/fuzz/CMakeLists.txt): with clang's libFuzzer
// (PCMKIT_FUZZ=ON) to search for inputs, and with replay_main.cpp to replay the committed
// corpora in every test run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

#include "pcmkit/nn/network.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace pcmkit::fuzz {

// Runs `read`; an InputError is the expected refusal of bad input and is swallowed. Anything
// else thrown is printed to stderr and aborts (a finding).
void expect_success_or_input_error(const std::function<void()>& read);

// How many reads expect_success_or_input_error saw succeed and refuse, in this process.
struct Outcomes {
  long accepted = 0;
  long refused = 0;
};
const Outcomes& outcomes();

// Aborts with `what` on stderr unless ok (an invariant the accepted input must keep).
void require(bool ok, std::string_view what);

// A scratch folder of this process (under $TMPDIR, removed at exit), emptied on each call.
const std::filesystem::path& fresh_scratch_dir();

// Writes bytes to `path` (replacing it).
void write_bytes(const std::filesystem::path& path, const std::uint8_t* data, std::size_t size);

// The network of the weights and checkpoint seeds: a CIFAR ResNet of depth 8, widths 4/8/16,
// option A; weights from `init_seed` when given, else zero.
nn::Network small_cifar_resnet(std::uint64_t init_seed = 0);

}  // namespace pcmkit::fuzz
