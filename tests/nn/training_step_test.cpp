// Two full training steps of a small ResNet (depth 8, widths 4/6/8, shortcut B) against PyTorch
// (tests/nn/data/training_fixture.h5, made by tools/make_training_fixture.py in float64):
// logits, loss, top-1 count, every gradient, BatchNorm running statistics, and the weights after
// two SGD steps with momentum, Nesterov, weight decay and label smoothing. Also: a whole step is
// bit-identical on 1 and 2 threads.
#include <H5Cpp.h>
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "nn_test_support.h"
#include "pcmkit/core/error.h"
#include "pcmkit/core/threads.h"
#include "pcmkit/nn/loss.h"
#include "pcmkit/nn/lr_schedule.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/sgd.h"

namespace pcmkit::nn {
namespace {

// pcmkit computes in float32 and the reference in float64: differences are float32 rounding
// through ~10 layers and two BatchNorm-heavy backward passes, ~1e-6 of each tensor's largest
// value; 1e-4 of it (the budget) is far above that and far below any formula error.
constexpr double kRelativeTolerance = 1e-4;
// The weight change over two steps (η·d ≈ 1e-2 of the weights) is checked on its own, so that a
// wrong update cannot hide below 1e-4 of the weights themselves.
constexpr double kUpdateRelativeTolerance = 1e-3;

const std::string kFixture = std::string(PCMKIT_SOURCE_DIR) + "/tests/nn/data/training_fixture.h5";

class Fixture {
 public:
  Fixture() : file_(kFixture, H5F_ACC_RDONLY) {}
  std::vector<float> floats(const std::string& path) {
    return read<float>(path, H5::PredType::NATIVE_FLOAT);
  }
  std::vector<int> ints(const std::string& path) {
    return read<int>(path, H5::PredType::NATIVE_INT);
  }
  double scalar(const std::string& path) {
    double value = 0;
    file_.openDataSet(path).read(&value, H5::PredType::NATIVE_DOUBLE);
    return value;
  }
  std::vector<double> attribute(const std::string& name) {
    H5::Attribute a = file_.openAttribute(name);
    std::vector<double> values(static_cast<std::size_t>(a.getSpace().getSimpleExtentNpoints()));
    a.read(H5::PredType::NATIVE_DOUBLE, values.data());
    return values;
  }
  std::vector<std::string> state_names() {
    const std::vector<int> bytes = ints("state_names");
    std::string text(bytes.begin(), bytes.end());
    std::vector<std::string> names;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) names.push_back(line);
    return names;
  }

 private:
  template <typename T>
  std::vector<T> read(const std::string& path, const H5::PredType& type) {
    H5::DataSet ds = file_.openDataSet(path);
    std::vector<T> values(static_cast<std::size_t>(ds.getSpace().getSimpleExtentNpoints()));
    ds.read(values.data(), type);
    return values;
  }
  H5::H5File file_;
};

Network make_small_resnet() {
  CifarResNetOptions options;
  options.depth = 8;
  options.widths = {4, 6, 8};
  options.shortcut = ShortcutType::kB;
  return make_cifar_resnet(options);
}

// The largest max|actual − expected| / max|expected| that check_close saw with the 1e-4
// budget, reported at the end of the fixture test.
double worst_gradient_ratio = 0;

// Checks max|actual − expected| ≤ tolerance · max|expected| over one tensor.
void check_close(const std::string& what,
                 std::span<const float> actual,
                 std::span<const float> expected,
                 double tolerance) {
  REQUIRE(actual.size() == expected.size());
  double worst = 0, scale = 0;
  for (std::size_t j = 0; j < actual.size(); ++j) {
    worst = std::max(worst, std::abs(static_cast<double>(actual[j]) - expected[j]));
    scale = std::max(scale, std::abs(static_cast<double>(expected[j])));
  }
  if (tolerance == kRelativeTolerance && scale > 0)
    worst_gradient_ratio = std::max(worst_gradient_ratio, worst / scale);
  CHECK_MESSAGE(worst <= tolerance * scale,
                what << ": max error " << worst << " against max |value| " << scale);
}

TEST_CASE("Two training steps of a small ResNet match PyTorch") {
  Fixture fixture;
  Network network = make_small_resnet();
  std::vector<ParameterRef> params = network.parameters();
  const std::vector<std::string> names = fixture.state_names();
  REQUIRE(names.size() == params.size());
  for (std::size_t k = 0; k < params.size(); ++k) REQUIRE(params[k].name == names[k]);

  const auto for_each = [&](const std::vector<float>& flat, bool trainable_only, auto&& visit) {
    std::size_t offset = 0;
    for (ParameterRef& p : params) {
      if (trainable_only && p.grad.empty()) continue;
      REQUIRE(offset + p.values.size() <= flat.size());
      visit(p, std::span<const float>(flat.data() + offset, p.values.size()));
      offset += p.values.size();
    }
    CHECK(offset == flat.size());
  };
  const std::vector<float> initial = fixture.floats("initial");
  for_each(initial, false, [](ParameterRef& p, std::span<const float> v) {
    std::copy(v.begin(), v.end(), p.values.begin());
  });
  network.refresh();

  SgdOptions sgd_options;
  sgd_options.momentum = fixture.attribute("momentum")[0];
  sgd_options.nesterov = true;
  sgd_options.weight_decay = fixture.attribute("weight_decay")[0];
  Sgd sgd(network.parameters(), sgd_options);
  const std::vector<double> learning_rates = fixture.attribute("learning_rates");
  const double label_smoothing = fixture.attribute("label_smoothing")[0];

  for (int t = 0; t < 2; ++t) {
    CAPTURE(t);
    const std::string batch = "batch" + std::to_string(t) + "/";
    const std::vector<float> pixels = fixture.floats(batch + "images");
    const std::vector<int> labels = fixture.ints(batch + "labels");
    Tensor images(static_cast<Index>(labels.size()), 3, 12, 12);
    REQUIRE(images.size() == static_cast<Index>(pixels.size()));
    std::copy(pixels.begin(), pixels.end(), images.data());

    network.zero_grad();
    const RowMatrixXf logits = network.forward_train(images);
    check_close("logits", {logits.data(), static_cast<std::size_t>(logits.size())},
                fixture.floats(batch + "logits"), kRelativeTolerance);
    const CrossEntropyResult loss = softmax_cross_entropy(logits, labels, label_smoothing);
    CHECK(loss.loss == doctest::Approx(fixture.scalar(batch + "loss")).epsilon(kRelativeTolerance));
    CHECK(loss.num_correct == fixture.ints(batch + "num_correct")[0]);
    network.backward(loss.dlogits);
    for_each(fixture.floats(batch + "grad"), true, [](ParameterRef& p, std::span<const float> v) {
      check_close("grad " + p.name, p.grad, v, kRelativeTolerance);
    });
    std::size_t offset = 0;
    const std::vector<float> running = fixture.floats(batch + "running");
    for (ParameterRef& p : params)
      if (p.grad.empty()) {
        check_close(p.name, p.values, {running.data() + offset, p.values.size()},
                    kRelativeTolerance);
        offset += p.values.size();
      }
    CHECK(offset == running.size());
    sgd.step(learning_rates[static_cast<std::size_t>(t)]);
  }

  std::size_t offset = 0;
  for_each(fixture.floats("final"), false, [&](ParameterRef& p, std::span<const float> v) {
    check_close("final " + p.name, p.values, v, kRelativeTolerance);
    std::vector<float> update(p.values.size()), expected_update(p.values.size());
    for (std::size_t j = 0; j < v.size(); ++j) {
      update[j] = p.values[j] - initial[offset + j];
      expected_update[j] = v[j] - initial[offset + j];
    }
    if (!p.grad.empty())
      check_close("update " + p.name, update, expected_update, kUpdateRelativeTolerance);
    offset += v.size();
  });
  MESSAGE(
      "largest error / max|value| over logits, gradients and parameters: " << worst_gradient_ratio);
}

TEST_CASE("A training step is bit-identical on 1 and 2 threads") {
  // Widths 16/32/64 on 32×32 images: layer1's convolutions take one image per chunk, so the
  // 6 images make 6 chunks whose partial gradients are summed in order.
  const Tensor images = testing::random_tensor(6, 3, 32, 32, 1);
  const std::vector<int> labels{0, 1, 2, 3, 4, 5};
  std::vector<RowMatrixXf> logits;
  std::vector<std::vector<float>> grads, values;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    CifarResNetOptions options;
    options.depth = 8;
    options.shortcut = ShortcutType::kB;
    options.init_seed = 7;
    Network network = make_cifar_resnet(options);
    logits.push_back(network.forward_train(images));
    network.backward(softmax_cross_entropy(logits.back(), labels, 0.1).dlogits);
    grads.emplace_back();
    values.emplace_back();
    for (const ParameterRef& p : network.parameters()) {
      grads.back().insert(grads.back().end(), p.grad.begin(), p.grad.end());
      values.back().insert(values.back().end(), p.values.begin(), p.values.end());
    }
  }
  set_num_threads(0);
  CHECK(logits[0] == logits[1]);
  CHECK(grads[0] == grads[1]);
  CHECK(values[0] == values[1]);  // running statistics included
}

TEST_CASE("Training from scratch memorises a small batch") {
  // 16 random images with random labels, a ResNet-8 with option-A shortcuts (widths 4/8/16),
  // 40 full-batch steps with a one-cycle schedule: a working gradient drives the loss from
  // about ln 10 to a small fraction of it; a wrong sign or a lost gradient would not.
  CifarResNetOptions options;
  options.depth = 8;
  options.widths = {4, 8, 16};
  options.init_seed = 3;
  Network network = make_cifar_resnet(options);
  const Tensor images = testing::random_tensor(16, 3, 16, 16, 4);
  std::vector<int> labels;
  for (int i = 0; i < 16; ++i) labels.push_back((i * 7 + 3) % 10);
  SgdOptions sgd_options;
  sgd_options.nesterov = true;
  sgd_options.weight_decay = 5e-4;
  Sgd sgd(network.parameters(), sgd_options);
  LrScheduleOptions schedule_options;
  schedule_options.kind = LrScheduleKind::kOneCycle;
  schedule_options.base_learning_rate = 0.2;
  schedule_options.total_steps = 40;
  const LrSchedule schedule(schedule_options);
  double first_loss = 0, last_loss = 0;
  Index last_correct = 0;
  for (std::int64_t step = 0; step < 40; ++step) {
    network.zero_grad();
    const CrossEntropyResult r = softmax_cross_entropy(network.forward_train(images), labels);
    network.backward(r.dlogits);
    sgd.step(schedule.learning_rate(step));
    if (step == 0) first_loss = r.loss;
    last_loss = r.loss;
    last_correct = r.num_correct;
  }
  CAPTURE(first_loss);
  CAPTURE(last_loss);
  CHECK(first_loss > 1.5);
  CHECK(last_loss < 0.25 * first_loss);
  CHECK(last_correct >= 14);
  // Evaluation mode after refresh() agrees with the training labels on most images.
  network.refresh();
  const RowMatrixXf logits = network.forward(images);
  CHECK(softmax_cross_entropy(logits, labels).num_correct >= 12);
}

TEST_CASE("Network::backward requires forward_train and dlogits of the logits' shape") {
  Network network = make_small_resnet();
  CHECK_THROWS_AS(network.backward(RowMatrixXf::Zero(2, 10)), InternalError);
  network.forward_train(testing::random_tensor(2, 3, 12, 12, 1));
  CHECK_THROWS_AS(network.backward(RowMatrixXf::Zero(3, 10)), InternalError);
}

}  // namespace
}  // namespace pcmkit::nn
