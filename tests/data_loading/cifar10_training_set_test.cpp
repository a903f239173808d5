#include "pcmkit/data/cifar10_training_set.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <numeric>

#include "pcmkit/core/error.h"
#include "pcmkit/core/threads.h"
#include "test_support/temp_dir.h"

using namespace pcmkit;
namespace fs = std::filesystem;

namespace {

// Image k: label k % 10; channel c, pixel (y, x) = (k + 3c + 7y + 11x) % 256, so every pixel
// names its source position and crops and flips can be checked exactly.
unsigned char pixel(int k, int c, int y, int x) {
  return static_cast<unsigned char>((k + 3 * c + 7 * y + 11 * x) % 256);
}

fs::path write_records(const fs::path& dir, const std::string& name, int first, int count) {
  const fs::path file = dir / name;
  std::ofstream out(file, std::ios::binary);
  for (int k = first; k < first + count; ++k) {
    out.put(static_cast<char>(k % 10));
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) out.put(static_cast<char>(pixel(k, c, y, x)));
  }
  return file;
}

}  // namespace

TEST_CASE("the training set reads several files as one and normalises like ToTensor+Normalize") {
  test::TempDir dir;
  const fs::path a = write_records(dir.path(), "a.bin", 0, 5);
  const fs::path b = write_records(dir.path(), "b.bin", 5, 3);
  const data::CifarTrainingSet set({a, b}, {{0.5f, 0.4f, 0.3f}, {0.2f, 0.25f, 0.5f}});
  REQUIRE(set.num_images() == 8);
  CHECK(set.label(6) == 6);
  const std::vector<std::int64_t> indices = {6, 0};
  data::CifarBatch batch;
  set.make_batch(indices, {.enabled = false}, 1, 0, batch);
  REQUIRE(batch.images.n() == 2);
  CHECK(batch.labels == std::vector<int>{6, 0});
  for (int c = 0; c < 3; ++c) {
    const float mean[] = {0.5f, 0.4f, 0.3f}, std[] = {0.2f, 0.25f, 0.5f};
    const float expected = (static_cast<float>(pixel(6, c, 4, 9)) / 255.0f - mean[c]) / std[c];
    CHECK(batch.images(0, c, 4, 9) == expected);
  }
}

TEST_CASE("random crops come from the 4-pixel zero-padded image and flips mirror the crop") {
  test::TempDir dir;
  const fs::path file = write_records(dir.path(), "a.bin", 0, 64);
  const data::CifarTrainingSet set({file}, {});
  std::vector<std::int64_t> indices(64);
  std::iota(indices.begin(), indices.end(), 0);
  data::CifarBatch batch;
  set.make_batch(indices, {}, 7, 3, batch);
  int flips = 0, shifted = 0;
  for (int i = 0; i < 64; ++i) {
    // Find the (dy, dx, flip) that explains the image; exactly one must.
    int matches = 0;
    for (int dy = -4; dy <= 4; ++dy)
      for (int dx = -4; dx <= 4; ++dx)
        for (int flip = 0; flip < 2; ++flip) {
          bool all = true;
          for (int c = 0; c < 3 && all; ++c)
            for (int y = 0; y < 32 && all; ++y)
              for (int x = 0; x < 32 && all; ++x) {
                const int sy = y + dy, sx = (flip ? 31 - x : x) + dx;
                const bool inside = sy >= 0 && sy < 32 && sx >= 0 && sx < 32;
                const float expected =
                    inside ? static_cast<float>(pixel(i, c, sy, sx)) / 255.0f : 0.0f;
                all = batch.images(i, c, y, x) == expected;
              }
          if (all) {
            ++matches;
            flips += flip;
            shifted += dy != 0 || dx != 0;
          }
        }
    CHECK(matches == 1);
  }
  // 64 fair flips: 32 ± 4 (1 sd); 6 sd either side cannot fail by chance in practice.
  CHECK(flips >= 32 - 24);
  CHECK(flips <= 32 + 24);
  CHECK(shifted >= 50);  // P(no shift) = 1/81 per image
}

TEST_CASE("augmentation depends on (seed, epoch, image) only, not on batch or thread count") {
  test::TempDir dir;
  const fs::path file = write_records(dir.path(), "a.bin", 0, 40);
  const data::CifarTrainingSet set({file}, {});
  const std::vector<std::int64_t> all = {3, 17, 25, 39};
  const std::vector<std::int64_t> one = {25};
  data::CifarBatch a, b, c, d;
  const int threads_before = num_threads();
  set_num_threads(1);
  set.make_batch(all, {}, 5, 2, a);
  set_num_threads(2);
  set.make_batch(all, {}, 5, 2, b);
  set.make_batch(one, {}, 5, 2, c);
  set.make_batch(one, {}, 5, 3, d);
  set_num_threads(threads_before);
  CHECK(a.images.values() == b.images.values());
  CHECK(a.images.rows().row(2) == c.images.rows().row(0));
  CHECK(c.images.values() !=
        d.images.values());  // another epoch, another draw (1/162 chance equal)
}

TEST_CASE("shuffled orders are permutations, differ per epoch and are uniform") {
  const auto p = data::shuffled_order(1000, 1, 0);
  std::vector<std::int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  CHECK(sorted == identity);
  CHECK(p == data::shuffled_order(1000, 1, 0));
  CHECK(p != data::shuffled_order(1000, 1, 1));
  CHECK(p != data::shuffled_order(1000, 2, 0));
  // Position of element 0 over 4000 epochs of n = 4: each of 4 places has p = 1/4, count 1000
  // ± 27 (1 sd); 5 sd bounds.
  std::array<int, 4> where{};
  for (std::uint64_t e = 0; e < 4000; ++e) {
    const auto q = data::shuffled_order(4, 9, e);
    ++where[static_cast<std::size_t>(std::find(q.begin(), q.end(), 0) - q.begin())];
  }
  for (int w : where) CHECK(std::abs(w - 1000) < 5 * 27.4);
}

TEST_CASE("bad training files give input errors naming the file") {
  test::TempDir dir;
  const fs::path good = write_records(dir.path(), "a.bin", 0, 2);
  const fs::path truncated = dir.path() / "t.bin";
  fs::copy_file(good, truncated);
  fs::resize_file(truncated, 3073 + 100);
  CHECK_THROWS_AS(data::CifarTrainingSet({truncated}, {}), InputError);
  CHECK_THROWS_AS(data::CifarTrainingSet({dir.path() / "missing.bin"}, {}), InputError);
  std::fstream f(good, std::ios::in | std::ios::out | std::ios::binary);
  f.put(static_cast<char>(10));  // label 10 in record 0
  f.close();
  try {
    data::CifarTrainingSet set({good}, {});
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.file() == good.string());
    CHECK(e.field() == "record 0");
  }
}

TEST_CASE("Cutout zeroes an L×L square around a uniform centre, clipped at the borders") {
  test::TempDir dir;
  const int n = 400;
  const fs::path file = write_records(dir.path(), "a.bin", 0, n);
  const data::CifarTrainingSet set({file}, {});
  std::vector<std::int64_t> indices(n);
  std::iota(indices.begin(), indices.end(), 0);
  data::CifarBatch plain, cut;
  // No crop padding: a padded pixel is 0 already and would hide part of the square.
  set.make_batch(indices, {.padding = 0}, 9, 4, plain);
  set.make_batch(indices, {.padding = 0, .cutout = 8}, 9, 4, cut);
  int full = 0;
  double row_sum = 0;
  for (int i = 0; i < n; ++i) {
    // The changed pixels: the same on every channel, and a rectangle of zeros.
    int y0 = 32, y1 = -1, x0 = 32, x1 = -1, changed = 0;
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) {
        const bool zero = cut.images(i, 0, y, x) == 0.0f && cut.images(i, 1, y, x) == 0.0f &&
                          cut.images(i, 2, y, x) == 0.0f;
        const bool same = cut.images(i, 0, y, x) == plain.images(i, 0, y, x) &&
                          cut.images(i, 1, y, x) == plain.images(i, 1, y, x) &&
                          cut.images(i, 2, y, x) == plain.images(i, 2, y, x);
        REQUIRE((same || zero));
        if (!same) {
          ++changed;
          y0 = std::min(y0, y), y1 = std::max(y1, y), x0 = std::min(x0, x), x1 = std::max(x1, x);
        }
      }
    // No pixel is 0 on all three channels before (pixel() differs by 3 between channels), so
    // the changed pixels are exactly the square.
    REQUIRE(changed > 0);
    const int h = y1 - y0 + 1, w = x1 - x0 + 1;
    CHECK(changed == h * w);
    CHECK(h <= 8);
    CHECK(w <= 8);
    CHECK((h == 8 || y0 == 0 || y1 == 31));  // only a border clips the square
    CHECK((w == 8 || x0 == 0 || x1 == 31));
    full += h == 8 && w == 8;
    row_sum += (h < 8 && y0 == 0) ? y1 + 1 - 4 : y0 + 4;  // the centre row: rows [c − 4, c + 4)
  }
  // Centre uniform on 0..31 per axis: unclipped iff the centre is in 4..28, p = (25/32)².
  const double p = (25.0 / 32.0) * (25.0 / 32.0);
  const double sd = std::sqrt(n * p * (1 - p));
  CHECK(std::abs(full - n * p) < 5 * sd);
  // Mean centre row 15.5, s.d. of the mean sqrt((32² − 1)/12 / n) ≈ 0.46.
  CHECK(std::abs(row_sum / n - 15.5) < 5 * std::sqrt((32.0 * 32.0 - 1) / 12.0 / n));
}

TEST_CASE("Cutout outside 0..32 is refused") {
  test::TempDir dir;
  const data::CifarTrainingSet set({write_records(dir.path(), "a.bin", 0, 2)}, {});
  const std::vector<std::int64_t> indices = {0, 1};
  data::CifarBatch batch;
  CHECK_THROWS(set.make_batch(indices, {.cutout = 33}, 1, 0, batch));
  CHECK_THROWS(set.make_batch(indices, {.cutout = -1}, 1, 0, batch));
}
