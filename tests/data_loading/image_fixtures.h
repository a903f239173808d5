// The JPEG fixtures of tests/data/images and what PIL/torchvision made of them
// (tools/make_image_fixtures.py, whose CASES this list repeats).
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace pcmkit::data::test {

inline const std::filesystem::path kImageDir =
    std::filesystem::path(PCMKIT_TEST_DATA_DIR) / "images";

struct ImageFixture {
  std::string name;
  int width, height;
};

inline const std::vector<ImageFixture> kImageFixtures = {
    {"landscape", 80, 60}, {"portrait", 59, 83}, {"square444", 64, 64},
    {"gray", 70, 47},      {"small", 30, 36},    {"exact", 40, 57},
};

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::vector<float> read_floats(const std::filesystem::path& path) {
  const std::vector<std::uint8_t> bytes = read_bytes(path);
  std::vector<float> values(bytes.size() / sizeof(float));
  std::copy(bytes.begin(),
            bytes.begin() + static_cast<std::ptrdiff_t>(values.size() * sizeof(float)),
            reinterpret_cast<std::uint8_t*>(values.data()));
  return values;
}

}  // namespace pcmkit::data::test
