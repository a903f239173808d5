// sha256_of_file (core/file_digest.h) against the FIPS 180-2 test vectors, which come from
// outside the code: SHA-256("abc") and SHA-256("").
#include "pcmkit/core/file_digest.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "pcmkit/core/error.h"
#include "test_support/temp_dir.h"

namespace pcmkit {
namespace {

namespace fs = std::filesystem;

using test::TempDir;

TEST_CASE("SHA-256 of a file holding \"abc\" is the FIPS 180-2 test vector") {
  TempDir dir;
  CHECK(sha256_of_file(dir.write("abc.bin", "abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("SHA-256 of an empty file") {
  TempDir dir;
  CHECK(sha256_of_file(dir.write("empty.bin", "")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("a file longer than the read buffer (64 KiB) hashes all of its bytes") {
  // 1,000,000 x 'a' is the FIPS 180-2 long-message vector; it spans 16 buffer fills.
  TempDir dir;
  CHECK(sha256_of_file(dir.write("million_a.bin", std::string(1000000, 'a'))) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("a missing file is an InputError naming it") {
  TempDir dir;
  const fs::path missing = dir.path() / "missing.h5";
  CHECK_THROWS_AS(sha256_of_file(missing), InputError);
  try {
    sha256_of_file(missing);
  } catch (const InputError& e) {
    CHECK(e.file() == missing.string());
  }
}

}  // namespace
}  // namespace pcmkit
