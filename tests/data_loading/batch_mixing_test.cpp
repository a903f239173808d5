// Mixup and CutMix of a mini-batch (data/batch_mixing.h): what each does to the images and the
// targets, λ's distribution over many steps, and determinism.
#include "pcmkit/data/batch_mixing.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "pcmkit/core/error.h"
#include "pcmkit/core/random_stream.h"
#include "pcmkit/core/threads.h"

using namespace pcmkit;

namespace {

nn::Tensor random_images(nn::Index n, nn::Index channels, nn::Index h, nn::Index w) {
  nn::Tensor images(n, channels, h, w);
  const CounterRng rng(17, RandomStream::kUser);
  for (nn::Index k = 0; k < images.size(); ++k)
    images.data()[k] = static_cast<float>(rng.normal(0, static_cast<std::uint64_t>(k)));
  return images;
}

bool is_permutation_of_batch(const std::vector<std::int64_t>& partners, std::int64_t n) {
  std::vector<std::int64_t> sorted = partners;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> identity(static_cast<std::size_t>(n));
  std::iota(identity.begin(), identity.end(), 0);
  return sorted == identity;
}

std::vector<int> labels_of(nn::Index n) {
  std::vector<int> labels(static_cast<std::size_t>(n));
  for (nn::Index i = 0; i < n; ++i) labels[static_cast<std::size_t>(i)] = static_cast<int>(i % 10);
  return labels;
}

}  // namespace

TEST_CASE("mixup blends every image with its partner by lambda, and the targets with them") {
  const nn::Tensor original = random_images(16, 3, 8, 8);
  const std::vector<int> labels = labels_of(16);
  const data::BatchMixing mixup{data::BatchMixingKind::kMixup, 0.4, 1.0};
  std::set<std::int64_t> distinct_first_partner;
  for (std::uint64_t step = 0; step < 8; ++step) {
    CAPTURE(step);
    nn::Tensor images = original;
    const data::BatchMix mix = data::mix_batch(mixup, 3, step, images);
    REQUIRE(mix.mixed);
    CHECK(mix.lambda > 0.0);
    CHECK(mix.lambda < 1.0);
    REQUIRE(is_permutation_of_batch(mix.partners, 16));
    distinct_first_partner.insert(mix.partners[0]);
    const nn::Index volume = 3 * 8 * 8;
    double worst = 0;
    for (nn::Index i = 0; i < 16; ++i)
      for (nn::Index k = 0; k < volume; ++k) {
        const double own = original.data()[i * volume + k];
        const double other =
            original.data()[mix.partners[static_cast<std::size_t>(i)] * volume + k];
        const double expected = mix.lambda * own + (1 - mix.lambda) * other;
        worst = std::max(worst, std::abs(images.data()[i * volume + k] - expected));
      }
    CHECK(worst < 1e-5);
    const nn::RowMatrixXf t = mix.targets(labels, 10);
    for (nn::Index i = 0; i < 16; ++i) {
      const int own = labels[static_cast<std::size_t>(i)];
      const int other = labels[static_cast<std::size_t>(mix.partners[static_cast<std::size_t>(i)])];
      for (int k = 0; k < 10; ++k) {
        const double expected = (k == own ? mix.lambda : 0.0) + (k == other ? 1 - mix.lambda : 0.0);
        CHECK(t(i, k) == doctest::Approx(expected).epsilon(1e-6));
      }
    }
  }
  CHECK(distinct_first_partner.size() > 2);  // the permutation is drawn anew each step
}

TEST_CASE("CutMix pastes one box from the partner, and lambda is the share each image keeps") {
  const nn::Index n = 12, h = 32, w = 32;
  const nn::Tensor original = random_images(n, 3, h, w);
  const data::BatchMixing cutmix{data::BatchMixingKind::kCutMix, 1.0, 1.0};
  std::set<int> box_areas;
  for (std::uint64_t step = 0; step < 40; ++step) {
    CAPTURE(step);
    nn::Tensor images = original;
    const data::BatchMix mix = data::mix_batch(cutmix, 9, step, images);
    REQUIRE(mix.mixed);
    REQUIRE(is_permutation_of_batch(mix.partners, n));
    CHECK(mix.box_top >= 0);
    CHECK(mix.box_left >= 0);
    CHECK(mix.box_top + mix.box_height <= h);
    CHECK(mix.box_left + mix.box_width <= w);
    box_areas.insert(mix.box_height * mix.box_width);
    CHECK(mix.lambda == doctest::Approx(1.0 - mix.box_height * mix.box_width / 1024.0));
    long wrong = 0;
    for (nn::Index i = 0; i < n; ++i) {
      const nn::Index from = mix.partners[static_cast<std::size_t>(i)];
      for (nn::Index c = 0; c < 3; ++c)
        for (nn::Index y = 0; y < h; ++y)
          for (nn::Index x = 0; x < w; ++x) {
            const bool in_box = y >= mix.box_top && y < mix.box_top + mix.box_height &&
                                x >= mix.box_left && x < mix.box_left + mix.box_width;
            if (images(i, c, y, x) != original(in_box ? from : i, c, y, x)) ++wrong;
          }
    }
    CHECK(wrong == 0);
  }
  CHECK(box_areas.size() > 10);  // the box's size is drawn anew each step
}

TEST_CASE("lambda follows Beta(alpha, alpha), and the mixing probability holds, over many steps") {
  // Beta(0.4, 0.4): mean 1/2, variance 1/(4(2α + 1)) = 0.13889, excess kurtosis −6/3.8, so over
  // N mixed steps the sample variance has standard error σ²·√((κ + 2)/N).
  const double alpha = 0.4, probability = 0.3;
  const data::BatchMixing mixup{data::BatchMixingKind::kMixup, alpha, probability};
  const int steps = 12000;
  std::vector<double> lambdas;
  for (int s = 0; s < steps; ++s) {
    nn::Tensor images(2, 1, 1, 1);
    const data::BatchMix mix = data::mix_batch(mixup, 21, static_cast<std::uint64_t>(s), images);
    if (mix.mixed) lambdas.push_back(mix.lambda);
  }
  const double share = static_cast<double>(lambdas.size()) / steps;
  CHECK(std::abs(share - probability) < 4 * std::sqrt(probability * (1 - probability) / steps));
  const auto n = static_cast<double>(lambdas.size());
  const double mean = std::accumulate(lambdas.begin(), lambdas.end(), 0.0) / n;
  double variance = 0;
  for (double l : lambdas) variance += (l - mean) * (l - mean);
  variance /= n - 1;
  const double expected_variance = 1.0 / (4 * (2 * alpha + 1));
  CHECK(std::abs(mean - 0.5) < 4 * std::sqrt(expected_variance / n));
  CHECK(std::abs(variance - expected_variance) <
        4 * expected_variance * std::sqrt((2.0 - 6.0 / 3.8) / n));
  // Beta(1, 1) is uniform: a tenth of the draws fall below 0.1.
  const data::BatchMixing uniform{data::BatchMixingKind::kMixup, 1.0, 1.0};
  int below = 0;
  for (int s = 0; s < 4000; ++s) {
    nn::Tensor images(2, 1, 1, 1);
    below += data::mix_batch(uniform, 22, static_cast<std::uint64_t>(s), images).lambda < 0.1;
  }
  CHECK(std::abs(below / 4000.0 - 0.1) < 4 * std::sqrt(0.09 / 4000));
}

TEST_CASE("mixing depends on seed and step only, never on the thread count, and none is a no-op") {
  const nn::Tensor original = random_images(32, 3, 32, 32);
  for (const data::BatchMixingKind kind :
       {data::BatchMixingKind::kMixup, data::BatchMixingKind::kCutMix}) {
    CAPTURE(data::batch_mixing_name(kind));
    const data::BatchMixing mixing{kind, 1.0, 1.0};
    const int threads_before = num_threads();
    std::vector<nn::Tensor> results;
    for (int threads : {1, 2, 3}) {
      set_num_threads(threads);
      nn::Tensor images = original;
      data::mix_batch(mixing, 4, 77, images);
      results.push_back(images);
    }
    set_num_threads(threads_before);
    CHECK(std::equal(results[0].data(), results[0].data() + results[0].size(), results[1].data()));
    CHECK(std::equal(results[0].data(), results[0].data() + results[0].size(), results[2].data()));
    nn::Tensor other_step = original;
    data::mix_batch(mixing, 4, 78, other_step);
    CHECK_FALSE(
        std::equal(results[0].data(), results[0].data() + results[0].size(), other_step.data()));
  }
  nn::Tensor images = original;
  const data::BatchMix none = data::mix_batch({}, 4, 77, images);
  CHECK_FALSE(none.mixed);
  CHECK(std::equal(images.data(), images.data() + images.size(), original.data()));
  const nn::RowMatrixXf t = none.targets(std::vector<int>{3, 1}, 4);
  CHECK(t(0, 3) == 1.0f);
  CHECK(t(1, 1) == 1.0f);
  CHECK(t.sum() == 2.0f);
  CHECK_THROWS_AS(data::mix_batch({data::BatchMixingKind::kMixup, 0.0, 1.0}, 1, 1, images),
                  InternalError);
  CHECK_THROWS_AS(data::mix_batch({data::BatchMixingKind::kCutMix, 1.0, 0.0}, 1, 1, images),
                  InternalError);
}
