// read_campaign / write_campaign: round trips, bit-exact writing, files written by other programs
// (tests/data, made by make_campaign_fixtures.py without pcmkit) and the bad-input corpus.
#include "pcmkit/measurement/campaign_hdf5.h"

#include <H5Cpp.h>
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "pcmkit/core/error.h"
#include "test_support/temp_dir.h"

namespace pcmkit::measurement {
namespace {

namespace fs = std::filesystem;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const fs::path kDataDir = PCMKIT_TEST_DATA_DIR;

using test::TempDir;

// Same size and same bits (so NaN equals NaN, and -0 differs from 0).
template <typename A, typename B>
bool same_bits(const A& a, const B& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(*a.data()) * static_cast<std::size_t>(a.size())) ==
             0;
}

void check_equal(const Campaign& a, const Campaign& b) {
  CHECK(a.g_max_uS == b.g_max_uS);
  CHECK(a.t_read_s == b.t_read_s);
  CHECK(a.temperature_K == b.temperature_K);
  CHECK(a.description == b.description);
  CHECK(same_bits(a.g_target_uS, b.g_target_uS));
  CHECK(a.converged == b.converged);
  CHECK(same_bits(a.time_s, b.time_s));
  CHECK(same_bits(a.g_uS, b.g_uS));
  REQUIRE(a.noise.has_value() == b.noise.has_value());
  if (a.noise) {
    CHECK(a.noise->device_index == b.noise->device_index);
    CHECK(same_bits(a.noise->t_start_s, b.noise->t_start_s));
    CHECK(a.noise->dt_s == b.noise->dt_s);
    CHECK(same_bits(a.noise->g_uS, b.noise->g_uS));
  }
}

// Every optional part present, shared times, missing reads, awkward doubles.
Campaign full_campaign() {
  Campaign c;
  c.g_max_uS = 25.0;
  c.t_read_s = 250e-9;
  c.temperature_K = 300.15;
  c.description = "round trip: µS, ν — UTF-8";
  c.g_target_uS = (Eigen::VectorXd(4) << 0.0, 1.0 / 3.0, 12.5, 25.0).finished();
  c.converged = {1, 0, 1, 1};
  c.time_s.resize(1, 3);
  c.time_s << 25.0, 25.0 + 1e-9, 86400.0;
  c.g_uS.resize(4, 3);
  c.g_uS << 0.0, kNaN, 0.1, 0.3, std::nextafter(0.3, 1.0), kNaN, 12.4, 12.3, 12.2, 24.9, 24.5,
      std::nextafter(24.0, 0.0);
  NoiseTraces noise;
  noise.device_index.resize(3);
  noise.device_index << 3, 0, 3;
  noise.t_start_s = (Eigen::VectorXd(3) << 1000.0, 1000.5, 2000.0).finished();
  noise.dt_s = 0.1;
  noise.g_uS = RowMatrixXd::Random(3, 5).cwiseAbs();
  noise.g_uS(1, 2) = kNaN;
  c.noise = noise;
  return c;
}

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_CASE("write then read gives the same campaign") {
  TempDir dir;
  SUBCASE("all optional parts, shared times, NaN reads") {
    const Campaign c = full_campaign();
    write_campaign(c, dir / "full.h5");
    check_equal(read_campaign(dir / "full.h5"), c);
  }
  SUBCASE("per-device times [N, T], no optional parts") {
    Campaign c = full_campaign();
    c.temperature_K.reset();
    c.description.clear();
    c.converged.clear();
    c.noise.reset();
    c.time_s = c.time_s.replicate(4, 1).eval();
    c.time_s.array().colwise() += (Eigen::ArrayXd(4) << 0.0, 0.5, 1.0, 1.5).finished();
    write_campaign(c, dir / "bare.h5");
    const Campaign back = read_campaign(dir / "bare.h5");
    CHECK_FALSE(back.shared_times());
    CHECK_FALSE(back.temperature_K.has_value());
    CHECK_FALSE(back.noise.has_value());
    check_equal(back, c);
  }
  SUBCASE("one device, one read") {
    Campaign c;
    c.g_max_uS = 25.0;
    c.t_read_s = 1e-7;
    c.g_target_uS = Eigen::VectorXd::Zero(1);
    c.time_s = RowMatrixXd::Constant(1, 1, 25.0);
    c.g_uS = RowMatrixXd::Constant(1, 1, 0.0);
    write_campaign(c, dir / "one.h5");
    check_equal(read_campaign(dir / "one.h5"), c);
  }
  CHECK(dir.entries().size() == 1);  // no temporary file left behind
}

TEST_CASE("writing is bit-exact and overwrites atomically") {
  TempDir dir;
  const Campaign c = full_campaign();
  write_campaign(c, dir / "a.h5");
  write_campaign(c, dir / "b.h5");
  CHECK(file_bytes(dir / "a.h5") == file_bytes(dir / "b.h5"));

  Campaign other = c;
  other.g_uS(0, 0) = 0.5;
  write_campaign(other, dir / "a.h5");
  CHECK(read_campaign(dir / "a.h5").g_uS(0, 0) == 0.5);
  CHECK(dir.entries().size() == 2);
}

TEST_CASE("a program that reaps child processes itself gets a RunError, not a half-read file") {
  TempDir dir;
  write_campaign(full_campaign(), dir / "a.h5");
  // SIGCHLD ignored: the kernel reaps the reader's child, so its status is lost.
  struct sigaction ignore {
  }, saved{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGCHLD, &ignore, &saved);
  bool run_error = false;
  std::string message;
  try {
    read_campaign(dir / "a.h5");
  } catch (const RunError& e) {
    run_error = true;
    message = e.what();
  }
  sigaction(SIGCHLD, &saved, nullptr);
  CHECK(run_error);
  CHECK(message.find("parse_untrusted_files_in_process") != std::string::npos);
  CHECK(read_campaign(dir / "a.h5").num_devices() == full_campaign().num_devices());
}

TEST_CASE("write_campaign requires a valid campaign and a writable directory") {
  TempDir dir;
  Campaign bad = full_campaign();
  bad.time_s(0, 1) = 25.0;
  CHECK_THROWS_AS(write_campaign(bad, dir / "bad.h5"), InternalError);
  CHECK_FALSE(fs::exists(dir / "bad.h5"));
  CHECK_THROWS_AS(write_campaign(full_campaign(), dir / "no_such_dir" / "c.h5"), RunError);
  CHECK(dir.entries().size() == 0);
}

TEST_CASE("read_campaign names missing files and directories") {
  TempDir dir;
  try {
    read_campaign(dir / "missing.h5");
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.file() == (dir / "missing.h5").string());
    CHECK(e.field().empty());
    CHECK(e.problem() == "no such file");
  }
  fs::create_directories(dir / "folder.h5");
  CHECK_THROWS_AS(read_campaign(dir / "folder.h5"), InputError);
}

TEST_CASE(
    "read_campaign says what HDF5 only calls a failed call: a missing filter, a dangling link") {
  const std::pair<const char*, const char*> cases[] = {
      // h5py's lzf is a plugin libhdf5 lacks: "H5Dread failed" said nothing of it.
      {"reads_g_lzf.h5",
       "compressed with the 'lzf' filter (HDF5 filter 32000), which this HDF5 "
       "library cannot decode: write it uncompressed or with gzip"},
      // Not "H5Oget_info_by_name failed".
      {"reads_g_dangling_link.h5", "a link to nothing"},
  };
  for (const auto& [file, problem] : cases) {
    CAPTURE(file);
    try {
      read_campaign(kDataDir / "bad" / file);
      FAIL("no error");
    } catch (const InputError& e) {
      CHECK(e.field() == "/reads/g_uS");
      CHECK(e.problem().find(problem) != std::string::npos);
    }
  }
}

TEST_CASE("read_campaign reads other element types and fixed-length strings") {
  // float32 data, int32 device_index, bool (enum) converged, integer temperature attribute.
  const Campaign c = read_campaign(kDataDir / "other_types_campaign.h5");
  CHECK(c.g_max_uS == 25.0);
  CHECK(c.t_read_s == 0.25);
  CHECK(c.temperature_K == 300.0);
  CHECK(c.description == "fixed-length");
  CHECK(c.g_target_uS == (Eigen::VectorXd(2) << 0.0, 12.5).finished());
  CHECK(c.converged == std::vector<std::uint8_t>{1, 0});
  REQUIRE(c.time_s.rows() == 2);
  CHECK(c.time_of(1, 2) == 104.0);
  CHECK(c.g_uS(1, 2) == 11.75);
  CHECK(std::isnan(c.g_uS(0, 2)));
  REQUIRE(c.noise.has_value());
  CHECK(c.noise->device_index(0) == 1);
  CHECK(c.noise->dt_s == 0.125);
  CHECK(c.noise->g_uS(0, 1) == 11.625);
}

TEST_CASE("read_campaign reads the third-party campaign") {
  // Chunked + gzip, [T] times, generator_* attributes, no converged dataset (see the script).
  const Campaign c = read_campaign(kDataDir / "other_program_campaign.h5");
  constexpr Eigen::Index kLevels = 11, kPerLevel = 1000;
  REQUIRE(c.num_devices() == kLevels * kPerLevel);
  REQUIRE(c.num_times() == 20);
  CHECK(c.shared_times());
  CHECK(c.time_s(0, 0) == doctest::Approx(25.0));
  CHECK(c.time_s(0, 19) == doctest::Approx(86400.0));
  CHECK(c.converged.empty());
  CHECK(c.g_max_uS == 25.0);
  CHECK(c.t_read_s == 250e-9);
  CHECK_FALSE(c.temperature_K.has_value());
  CHECK_FALSE(c.description.empty());
  for (Eigen::Index level = 0; level < kLevels; ++level)
    CHECK(c.g_target_uS(level * kPerLevel + 17) == doctest::Approx(2.5 * level));
  REQUIRE(c.noise.has_value());
  CHECK(c.noise->device_index.size() == 11 * 40);
  CHECK(c.noise->g_uS.cols() == 512);
  CHECK(c.noise->dt_s == 0.1);
  CHECK((c.noise->t_start_s.array() == 1000.0).all());
  // Written back by pcmkit (contiguous, uncompressed), it reads back the same.
  TempDir dir;
  write_campaign(c, dir / "copy.h5");
  check_equal(read_campaign(dir / "copy.h5"), c);
}

TEST_CASE("read_campaign reads a null variable-length string as empty") {
  // Legal HDF5 that h5py cannot write, and that H5::Attribute::read(type, std::string&) crashes on.
  TempDir dir;
  write_campaign(full_campaign(), dir / "null.h5");
  {
    H5::H5File file((dir / "null.h5").string(), H5F_ACC_RDWR);
    file.removeAttr("description");
    const H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    const H5::Attribute attr = file.createAttribute("description", type, H5::DataSpace(H5S_SCALAR));
    const char* null_text = nullptr;
    attr.write(type, &null_text);
  }
  CHECK(read_campaign(dir / "null.h5").description.empty());
}

// tests/data/bad/manifest.tsv: file name <TAB> the field the error must name ("" = the file).
std::map<std::string, std::string> bad_manifest() {
  std::ifstream in(kDataDir / "bad" / "manifest.tsv");
  REQUIRE(in);
  std::map<std::string, std::string> expected;
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    expected[line.substr(0, tab)] = line.substr(tab + 1);
  }
  return expected;
}

TEST_CASE("every file in tests/data/bad is rejected with one line naming file and field") {
  const std::map<std::string, std::string> expected = bad_manifest();
  std::set<std::string> seen;
  for (const fs::directory_entry& entry : fs::directory_iterator(kDataDir / "bad")) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".h5") continue;
    seen.insert(name);
    CAPTURE(name);
    REQUIRE_MESSAGE(expected.count(name) == 1, "not in manifest.tsv");
    const std::string& field = expected.at(name);
    try {
      read_campaign(entry.path());
      FAIL("accepted");
    } catch (const InputError& e) {
      const std::string what = e.what();
      CAPTURE(what);
      CHECK(what.find('\n') == std::string::npos);
      CHECK(what.find(name) != std::string::npos);
      CHECK(e.field().find(field) != std::string::npos);
      CHECK(what.find(field) != std::string::npos);
      CHECK_FALSE(e.problem().empty());
    }
  }
  CHECK(seen.size() == expected.size());
  CHECK(seen.size() >= 16);
}

}  // namespace
}  // namespace pcmkit::measurement

namespace pcmkit::measurement {
namespace {

TEST_CASE("an empty /noise group is a campaign without traces, as the schema allows") {
  test::TempDir dir;
  Campaign c = full_campaign();
  c.noise.reset();
  write_campaign(c, dir / "c.h5");
  {
    H5::H5File h5((dir / "c.h5").string(), H5F_ACC_RDWR);
    h5.createGroup("/noise");
  }
  const Campaign back = read_campaign(dir / "c.h5");
  CHECK_FALSE(back.noise.has_value());
  CHECK(back.num_devices() == c.num_devices());
}

}  // namespace
}  // namespace pcmkit::measurement
