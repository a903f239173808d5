// A small, learnable CIFAR-10-format data set for training tests: image k of class k % 10 is a
// noisy grey background with a bright 8×8 square whose position and colour code the class.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace pcmkit::test {

inline void write_synthetic_cifar(const std::filesystem::path& file, int first, int count) {
  std::ofstream out(file, std::ios::binary);
  for (int k = first; k < first + count; ++k) {
    const int label = k % 10;
    out.put(static_cast<char>(label));
    const int sy = 4 + 12 * (label / 5), sx = 2 + 6 * (label % 5);
    std::uint32_t h = 2654435761u * static_cast<std::uint32_t>(k + 1);
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) {
          h = h * 1664525u + 1013904223u;  // a cheap LCG for the background noise
          int v = 96 + static_cast<int>((h >> 24) % 64);
          if (y >= sy && y < sy + 8 && x >= sx && x < sx + 8) v = c == label % 3 ? 250 : 200;
          out.put(static_cast<char>(v));
        }
  }
}

// data_batch_1..5.bin with `per_file` images each and test_batch.bin with `test` images.
inline void write_synthetic_cifar_dir(const std::filesystem::path& dir, int per_file, int test) {
  std::filesystem::create_directories(dir);
  for (int b = 1; b <= 5; ++b)
    write_synthetic_cifar(dir / ("data_batch_" + std::to_string(b) + ".bin"), (b - 1) * per_file,
                          per_file);
  write_synthetic_cifar(dir / "test_batch.bin", 100000, test);
}

}  // namespace pcmkit::test
