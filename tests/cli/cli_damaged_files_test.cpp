// Damaged HDF5 files, as a hostile user makes them: single-byte corruptions of a small synth
// campaign's metadata region (its first 4 KiB) and truncations. libhdf5 may crash or run away on
// some of them; pcmkit parses them in a child process, so every run ends with exit 0 (a harmless
// change) or exit 2 and one line naming the file, within 20 s, never a signal or a hang.
// PCMKIT_CORRUPTIONS sets how many corruptions (default 60; the README's figure is from 500).
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

#include "cli_process.h"
#include "test_support/synthetic_cifar.h"

namespace pcmkit::cli_test {

TEST_CASE("damaged campaigns end in exit 0 or 2 with one line, never a crash or a runaway") {
  ScratchDir scratch;
  REQUIRE(run_pcmkit({"synth", "-o", "c.h5", "--levels", "lin:0:25:4", "--devices-per-level", "40",
                      "--times", "log:25:1d:6", "--traces", "4", "--trace-reads", "64", "--quiet"},
                     scratch.path())
              .exit_code == 0);
  const std::string original = read_text(scratch / "c.h5");
  const char* env = std::getenv("PCMKIT_CORRUPTIONS");
  const int corruptions = env ? std::atoi(env) : 60;
  const int truncations = std::max(20, corruptions / 5);
  std::uint64_t state = 12345;  // a fixed sequence of positions and values
  const auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  int exit0 = 0, exit2 = 0, damaged = 0;
  double slowest_s = 0;
  for (int k = 0; k < corruptions + truncations; ++k) {
    std::string bytes = original;
    std::string what;
    if (k < corruptions) {
      const std::size_t at = next() % std::min<std::size_t>(4096, bytes.size());
      bytes[at] = static_cast<char>(bytes[at] ^ static_cast<char>(1 + next() % 255));
      what = "byte " + std::to_string(at) + " changed";
    } else {
      bytes.resize(next() % bytes.size());
      what = "cut at " + std::to_string(bytes.size());
    }
    { std::ofstream(scratch / "d.h5", std::ios::binary) << bytes; }
    const auto start = std::chrono::steady_clock::now();
    const Outcome r = run_pcmkit({"calibrate", "d.h5", "-o", "m.json", "--quiet"}, scratch.path());
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    slowest_s = std::max(slowest_s, s);
    INFO(what, "; exit ", r.exit_code, ", signal ", r.signal, "; stderr: ", r.err);
    CHECK(r.signal == 0);
    CHECK_FALSE(r.timed_out);
    CHECK(s < 25);
    // A change the reader never notices may leave a campaign calibrate can fit (or not: 1).
    CHECK((r.exit_code == 0 || r.exit_code == 1 || r.exit_code == 2));
    if (r.exit_code != 0) check_one_error_line(r.err);
    if (r.exit_code == 2) CHECK(contains(r.err, "d.h5"));
    exit0 += r.exit_code == 0;
    exit2 += r.exit_code == 2;
    damaged += contains(r.err, "is damaged");
    std::filesystem::remove(scratch / "m.json");
  }
  MESSAGE(corruptions << " corruptions and " << truncations << " truncations: " << exit2
                      << " refused (exit 2), " << damaged << " of them by a reader that crashed "
                      << "or ran away, " << exit0 << " harmless; slowest " << slowest_s << " s");
}

}  // namespace pcmkit::cli_test

namespace pcmkit::cli_test {

TEST_CASE("damaged weights files end in exit 0 or 2 with one line, never a crash or a runaway") {
  ScratchDir scratch;
  test::write_synthetic_cifar_dir(scratch / "cifar", 4, 4);
  const fs::path shared = fs::path(PCMKIT_SHARED_DIR) / "weights/resnet20-12fca82f.h5";
  if (!fs::exists(shared)) {
    MESSAGE("skipped: " << shared << " not present");
    return;
  }
  const std::string original = read_text(shared);
  std::uint64_t state = 777;
  const auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  int refused = 0;
  for (int k = 0; k < 40; ++k) {
    std::string bytes = original;
    const std::size_t at = next() % std::min<std::size_t>(4096, bytes.size());
    bytes[at] = static_cast<char>(bytes[at] ^ static_cast<char>(1 + next() % 255));
    { std::ofstream(scratch / "w.h5", std::ios::binary) << bytes; }
    const Outcome r = run_pcmkit(
        {"evaluate", "--quiet", "--device", "ideal", "--arch", "resnet20", "--weights", "w.h5",
         "--data", "cifar", "--compensation", "none", "--times", "25", "-o", "out"},
        scratch.path());
    INFO("byte ", at, "; exit ", r.exit_code, ", signal ", r.signal, "; stderr: ", r.err);
    CHECK(r.signal == 0);
    CHECK_FALSE(r.timed_out);
    CHECK((r.exit_code == 0 || r.exit_code == 2));
    if (r.exit_code != 0) check_one_error_line(r.err);
    refused += r.exit_code == 2;
    fs::remove_all(scratch / "out");
  }
  MESSAGE(refused << " of 40 damaged weights files refused, the rest harmless");
}

}  // namespace pcmkit::cli_test
