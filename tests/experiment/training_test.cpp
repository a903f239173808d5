// The training loop on a small learnable data set (test_support/synthetic_cifar.h) with a small
// CIFAR ResNet: it learns, it is deterministic across thread counts, and a run resumed from a
// checkpoint continues bit for bit.
#include "pcmkit/experiment/training.h"

#include <doctest/doctest.h>

#include "pcmkit/core/error.h"
#include "pcmkit/core/threads.h"
#include "pcmkit/experiment/drift_evaluation.h"
#include "pcmkit/experiment/training_checkpoint.h"
#include "pcmkit/nn/batch_norm2d.h"
#include "pcmkit/nn/initialization.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/weights_hdf5.h"
#include "test_support/synthetic_cifar.h"
#include "test_support/temp_dir.h"

using namespace pcmkit;
namespace fs = std::filesystem;

namespace {

nn::Network small_network(std::uint64_t seed = 3) {
  nn::CifarResNetOptions arch;
  arch.depth = 8;
  arch.widths = {4, 8, 16};
  arch.shortcut = nn::ShortcutType::kB;
  nn::Network network = nn::make_cifar_resnet(arch);
  nn::initialize_for_training(network, seed);
  return network;
}

experiment::TrainingOptions small_options() {
  experiment::TrainingOptions o;
  o.epochs = 4;
  o.batch_size = 32;
  o.learning_rate = 0.05;
  o.sgd.weight_decay = 1e-4;
  o.seed = 5;
  return o;
}

struct Data {
  test::TempDir dir;
  std::unique_ptr<data::CifarTrainingSet> train;
  std::unique_ptr<data::CifarBinaryReader> test;
  explicit Data(int per_file = 40) {
    test::write_synthetic_cifar_dir(dir.path(), per_file, 100);  // 5·per_file training images
    train = std::make_unique<data::CifarTrainingSet>(data::cifar10_training_files(dir.path()),
                                                     nn::InputNormalization{});
    test = std::make_unique<data::CifarBinaryReader>(
        std::vector<fs::path>{data::cifar10_test_file(dir.path())}, nn::InputNormalization{});
  }
};

std::vector<float> all_values(nn::Network& network) {
  std::vector<float> v;
  for (const nn::ParameterRef& p : network.parameters())
    v.insert(v.end(), p.values.begin(), p.values.end());
  return v;
}

// A copy of `checkpoint` whose training state JSON has `from` replaced by `to` (a damaged or an
// older file), written as `file` with `network`'s weights.
fs::path with_edited_state(const fs::path& checkpoint,
                           nn::Network& network,
                           const std::string& from,
                           const std::string& to,
                           const fs::path& file) {
  nn::TrainingGroup group = nn::load_training_group(checkpoint);
  const auto at = group.state_json.find(from);
  REQUIRE(at != std::string::npos);
  group.state_json.replace(at, from.size(), to);
  nn::save_weights_hdf5(file, network, {}, &group);
  return file;
}

// Runs `trainer`, checkpointing after every epoch, until it is stopped (as if killed) after
// epoch `stop_after`.
void run_until_stopped(experiment::Trainer& trainer,
                       Data& d,
                       const fs::path& checkpoint,
                       int stop_after) {
  CHECK_THROWS_AS(trainer.run(*d.train, *d.test,
                              [&](experiment::Trainer& t) {
                                experiment::save_training_checkpoint(checkpoint, t, {}, "");
                                if (t.epochs_done() == stop_after) throw RunError("stop");
                              }),
                  RunError);
}

}  // namespace

TEST_CASE("training learns the synthetic classes: loss falls, accuracy far above chance") {
  Data d(100);
  nn::Network network = small_network();
  experiment::TrainingOptions o = small_options();
  o.epochs = 10;
  o.learning_rate = 0.1;
  experiment::Trainer trainer(network, o);
  trainer.run(*d.train, *d.test, {});
  REQUIRE(trainer.log().size() == 10);
  CHECK(trainer.log().back().train_loss < 0.6 * trainer.log().front().train_loss);
  // Chance is 10%; 100 test images: the learnt classes must be clear, not luck.
  CHECK(trainer.log().back().test_accuracy_percent > 60.0);
  CHECK(trainer.log().back().learning_rate < 0.1 * 0.05);  // cosine reaches ~0 at the end
}

TEST_CASE(
    "same seed, same weights for 1 and 2 threads, and weight noise and clipping change them") {
  Data d;
  const int threads_before = num_threads();
  std::vector<std::vector<float>> results;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    nn::Network network = small_network();
    experiment::TrainingOptions o = small_options();
    o.epochs = 1;
    o.weight_noise = 0.038;
    experiment::Trainer trainer(network, o);
    trainer.run(*d.train, *d.test, {});
    CHECK_FALSE(network.analog_layers().front().layer->has_effective_weight());
    results.push_back(all_values(network));
  }
  set_num_threads(threads_before);
  CHECK(results[0] == results[1]);

  nn::Network clean = small_network();
  experiment::TrainingOptions o = small_options();
  o.epochs = 1;
  experiment::Trainer plain(clean, o);
  plain.run(*d.train, *d.test, {});
  CHECK(all_values(clean) != results[0]);

  nn::Network clipped = small_network();
  o.clip_alpha = 1.0;
  experiment::Trainer clipping(clipped, o);
  clipping.run(*d.train, *d.test, {});
  for (const nn::AnalogLayerRef& l : clipped.analog_layers()) {
    // Clipping at ±1·std piles about a third of the weights up at the two bounds (continuous
    // weights never tie by chance), and the std after clipping is smaller than the bound.
    const nn::RowMatrixXf& w = l.layer->master_weight();
    const float top = w.cwiseAbs().maxCoeff();
    const auto at_bound = (w.cwiseAbs().array() == top).count();
    CHECK(at_bound >= w.size() / 10);
    const double mean = w.cast<double>().mean();
    const double sd = std::sqrt((w.cast<double>().array() - mean).square().sum() /
                                static_cast<double>(w.size() - 1));
    CHECK(top > sd);
  }
}

TEST_CASE("a run resumed from its checkpoint continues bit for bit") {
  Data d;
  test::TempDir out;
  const fs::path checkpoint = out.path() / "checkpoint.h5";
  experiment::TrainingOptions o = small_options();
  o.epochs = 3;
  o.weight_noise = 0.02;
  o.label_smoothing = 0.1;

  nn::Network straight = small_network();
  experiment::Trainer a(straight, o);
  a.run(*d.train, *d.test, {});

  nn::Network first = small_network();
  experiment::Trainer b(first, o);
  CHECK_THROWS_AS(b.run(*d.train, *d.test,
                        [&](experiment::Trainer& t) {
                          experiment::save_training_checkpoint(checkpoint, t, {}, "start.h5");
                          if (t.epochs_done() == 2) throw RunError("stop");  // killed here
                        }),
                  RunError);
  // The process dies; a new one starts from a fresh network and the checkpoint.
  nn::Network resumed = small_network(99);
  experiment::Trainer c(resumed, o);
  CHECK(experiment::load_training_checkpoint(checkpoint, c).init_weights == "start.h5");
  CHECK(c.epochs_done() == 2);
  c.run(*d.train, *d.test, {});
  CHECK(all_values(resumed) == all_values(straight));
  CHECK(c.log().back().test_accuracy_percent == a.log().back().test_accuracy_percent);

  experiment::TrainingOptions other = o;
  other.learning_rate = 0.2;
  nn::Network n4 = small_network();
  experiment::Trainer e(n4, other);
  try {
    experiment::load_training_checkpoint(checkpoint, e);
    FAIL("no error");
  } catch (const InputError& err) {
    CHECK(err.field() == "options.learning_rate");
  }

  // A damaged state (its JSON edited in place) is refused naming the problem; nothing changes.
  const auto damaged = [&](const std::string& from, const std::string& to) {
    return with_edited_state(checkpoint, first, from, to, out.path() / "damaged.h5");
  };
  const struct {
    std::string from, to, problem;
  } cases[] = {
      {"\"init_weights\":\"start.h5\"", "\"init_weights\":7", "init_weights is not a string"},
      {"\"epochs_done\":2", "\"epochs_done\":5", "epochs_done does not match the log"},
  };
  for (const auto& damage : cases) {
    CAPTURE(damage.problem);
    nn::Network untouched = small_network(99);
    const auto before = all_values(untouched);
    experiment::Trainer f(untouched, o);
    try {
      experiment::load_training_checkpoint(damaged(damage.from, damage.to), f);
      FAIL("no error");
    } catch (const InputError& err) {
      CHECK(err.field() == "training/state");
      CHECK(std::string(err.what()).find(damage.problem) != std::string::npos);
    }
    CHECK(all_values(untouched) == before);
    CHECK(f.epochs_done() == 0);
  }
}

TEST_CASE("frozen BatchNorm epochs keep the running statistics the earlier epochs left") {
  Data d;
  test::TempDir out;
  experiment::TrainingOptions o = small_options();
  o.epochs = 2;
  o.weight_noise = 0.038;
  o.frozen_batch_norm_epochs = 1;
  nn::Network network = small_network();
  experiment::Trainer trainer(network, o);
  std::vector<Eigen::VectorXf> after_first;
  std::vector<float> weights_after_first;
  trainer.run(*d.train, *d.test, [&](experiment::Trainer& t) {
    if (t.epochs_done() != 1) return;
    for (nn::BatchNorm2d* bn : network.batch_norms()) {
      after_first.push_back(bn->running_mean());
      after_first.push_back(bn->running_var());
    }
    weights_after_first = all_values(network);
  });
  std::size_t k = 0;
  for (nn::BatchNorm2d* bn : network.batch_norms()) {
    CHECK(bn->running_mean() == after_first[k++]);
    CHECK(bn->running_var() == after_first[k++]);
    CHECK_FALSE(bn->frozen_statistics());  // the trainer leaves the network in its normal mode
  }
  CHECK(all_values(network) != weights_after_first);  // γ, β and the weights still train

  experiment::TrainingOptions too_many = o;
  too_many.frozen_batch_norm_epochs = 3;
  CHECK_THROWS_AS(too_many.validate(), InputError);

  // A checkpoint written before the option existed has no such key: it resumes as 0 only.
  const fs::path checkpoint = out.path() / "checkpoint.h5";
  experiment::TrainingOptions plain = o;
  plain.frozen_batch_norm_epochs = 0;
  experiment::Trainer p(network, plain);
  experiment::save_training_checkpoint(checkpoint, p, {}, "");
  const fs::path old_format = with_edited_state(
      checkpoint, network, "\"frozen_batch_norm_epochs\":0,", "", out.path() / "old.h5");
  nn::Network resumed = small_network(99);
  experiment::Trainer r(resumed, plain);
  CHECK_NOTHROW(experiment::load_training_checkpoint(old_format, r));
  nn::Network other = small_network(99);
  experiment::Trainer f(other, o);
  try {
    experiment::load_training_checkpoint(old_format, f);
    FAIL("no error");
  } catch (const InputError& err) {
    CHECK(err.field() == "options.frozen_batch_norm_epochs");
  }
}

TEST_CASE("EMA: the average follows a <- d*a + (1-d)*w after every step and is what is tested") {
  Data d;
  test::TempDir out;
  experiment::TrainingOptions o = small_options();
  o.epochs = 5;
  o.max_train_images = 32;  // one step per epoch: the callback sees every iterate
  o.ema_decay = 0.9;
  nn::Network network = small_network();
  std::vector<float> expected = all_values(network);  // the average starts as the network
  experiment::Trainer trainer(network, o);
  const auto keep = static_cast<float>(0.9), take = static_cast<float>(1.0 - 0.9);
  trainer.run(*d.train, *d.test, [&](experiment::Trainer& t) {
    const std::vector<float> w = all_values(t.network());  // the last iterate
    for (std::size_t i = 0; i < w.size(); ++i) expected[i] = keep * expected[i] + take * w[i];
  });
  std::vector<float> average;
  for (const auto& v : trainer.average()->values())
    average.insert(average.end(), v.values.begin(), v.values.end());
  REQUIRE(average.size() == expected.size());
  for (std::size_t i = 0; i < average.size(); ++i)
    REQUIRE(average[i] == doctest::Approx(expected[i]).epsilon(1e-5).scale(1e-6));
  CHECK(average != all_values(network));

  // The checkpoint's weights (what evaluate reads) are the average; the iterate resumes.
  const fs::path checkpoint = out.path() / "checkpoint.h5";
  experiment::save_training_checkpoint(checkpoint, trainer, {}, "");
  CHECK(all_values(network) != average);  // saving swapped the average back out
  nn::Network read = small_network(99);
  nn::load_weights_hdf5(checkpoint, read);
  CHECK(all_values(read) == average);
  // The logged test accuracy is the average's; the last iterate's is logged beside it.
  nn::Network iterate = small_network(99);
  experiment::Trainer resumed(iterate, o);
  experiment::load_training_checkpoint(checkpoint, resumed);
  CHECK(all_values(iterate) == all_values(network));
  d.test->rewind();
  CHECK(trainer.log().back().last_iterate_test_accuracy_percent ==
        experiment::evaluate_accuracy(network, *d.test, 200));
  CHECK(trainer.log().back().test_accuracy_percent ==
        experiment::evaluate_accuracy(read, *d.test, 200));

  experiment::TrainingOptions bad = o;
  bad.ema_decay = 0.5;
  CHECK_THROWS_AS(bad.validate(), InputError);
  bad.ema_decay = 1.0;
  CHECK_THROWS_AS(bad.validate(), InputError);
}

namespace {

// Every new option at once: Cutout, EMA, distillation from two teachers, weight noise.
experiment::TrainingOptions all_recipes(std::vector<std::string> teachers) {
  experiment::TrainingOptions o = small_options();
  o.epochs = 3;
  o.weight_noise = 0.02;
  o.augmentation.cutout = 8;
  o.ema_decay = 0.95;
  o.distillation_weight = 0.5;
  o.distillation_temperature = 3;
  o.teachers = std::move(teachers);
  o.teacher_arch = "small";
  return o;
}

}  // namespace

TEST_CASE("Cutout, EMA and distillation: thread-count independent and resumed bit for bit") {
  Data d;
  test::TempDir out;
  const fs::path checkpoint = out.path() / "checkpoint.h5";
  nn::Network teacher_a = small_network(11), teacher_b = small_network(12);
  const std::vector<nn::Network*> teachers = {&teacher_a, &teacher_b};
  const experiment::TrainingOptions o = all_recipes({"a.h5", "b.h5"});

  const int threads_before = num_threads();
  std::vector<std::vector<float>> results;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    nn::Network network = small_network();
    experiment::Trainer trainer(network, o, teachers);
    trainer.run(*d.train, *d.test, {});
    results.push_back(all_values(network));
  }
  set_num_threads(threads_before);
  CHECK(results[0] == results[1]);

  nn::Network first = small_network();
  experiment::Trainer b(first, o, teachers);
  run_until_stopped(b, d, checkpoint, 2);
  nn::Network resumed = small_network(99);
  experiment::Trainer c(resumed, o, teachers);
  experiment::load_training_checkpoint(checkpoint, c);
  c.run(*d.train, *d.test, {});
  CHECK(all_values(resumed) == results[0]);

  // Each recipe changes the run, and the checkpoint refuses a run that asks for another.
  const auto changed = [&](const experiment::TrainingOptions& other) {
    nn::Network network = small_network();
    std::vector<nn::Network*> t;
    for (std::size_t k = 0; k < other.teachers.size(); ++k) t.push_back(teachers[k]);
    experiment::Trainer trainer(network, other, t);
    trainer.run(*d.train, *d.test, {});
    return all_values(network) != results[0];
  };
  experiment::TrainingOptions no_cutout = o, one_teacher = o, other_t = o;
  no_cutout.augmentation.cutout = 0;
  one_teacher.teachers = {"a.h5"};
  other_t.distillation_temperature = 1;
  CHECK(changed(no_cutout));
  CHECK(changed(one_teacher));
  CHECK(changed(other_t));
  nn::Network n = small_network();
  experiment::Trainer e(n, one_teacher, {teachers[0]});
  try {
    experiment::load_training_checkpoint(checkpoint, e);
    FAIL("no error");
  } catch (const InputError& err) {
    CHECK(err.field() == "options.teachers");
  }
}

TEST_CASE("distillation: the student learns what its teacher knows, not the labels it ignores") {
  Data d(100);
  experiment::TrainingOptions o = small_options();
  o.epochs = 10;
  o.learning_rate = 0.1;
  nn::Network teacher = small_network(21);
  experiment::Trainer t(teacher, o);
  t.run(*d.train, *d.test, {});
  REQUIRE(t.log().back().test_accuracy_percent > 60.0);

  // Weight 1: the labels do not enter the loss; a trained teacher still teaches the classes and
  // an untrained one (near-uniform, uninformative outputs) cannot.
  experiment::TrainingOptions student = o;
  student.distillation_weight = 1.0;
  student.distillation_temperature = 1.0;
  student.teachers = {"teacher.h5"};
  student.teacher_arch = "small";
  nn::Network taught = small_network();
  experiment::Trainer a(taught, student, {&teacher});
  a.run(*d.train, *d.test, {});
  nn::Network untrained_teacher = small_network(22);
  nn::Network misled = small_network();
  experiment::Trainer b(misled, student, {&untrained_teacher});
  b.run(*d.train, *d.test, {});
  CHECK(a.log().back().test_accuracy_percent > 50.0);
  CHECK(b.log().back().test_accuracy_percent < 35.0);  // chance is 10%

  experiment::TrainingOptions no_teacher = student;
  no_teacher.teachers.clear();
  CHECK_THROWS_AS(no_teacher.validate(), InputError);
  experiment::TrainingOptions no_weight = o;
  no_weight.teachers = {"teacher.h5"};
  CHECK_THROWS_AS(no_weight.validate(), InputError);
  nn::Network s = small_network();
  CHECK_THROWS_AS(experiment::Trainer(s, student, {}), InputError);  // a file without a network
}

TEST_CASE("mixup and CutMix: thread-count independent, resumed bit for bit, older checkpoints") {
  Data d;
  test::TempDir out;
  nn::Network teacher = small_network(11);
  const std::vector<nn::Network*> teachers = {&teacher};
  experiment::TrainingOptions mixup = small_options(), cutmix = all_recipes({"a.h5"});
  mixup.epochs = 3;
  mixup.mixing = {data::BatchMixingKind::kMixup, 0.4, 1.0};
  mixup.label_smoothing = 0.1;
  cutmix.mixing = {data::BatchMixingKind::kCutMix, 1.0, 0.5};  // with Cutout, EMA, distillation

  std::vector<float> plain_result;
  {
    nn::Network network = small_network();
    experiment::TrainingOptions plain = mixup;
    plain.mixing = {};
    experiment::Trainer trainer(network, plain);
    trainer.run(*d.train, *d.test, {});
    plain_result = all_values(network);
  }
  for (const experiment::TrainingOptions& o : {mixup, cutmix}) {
    CAPTURE(data::batch_mixing_name(o.mixing.kind));
    const std::vector<nn::Network*> t = o.teachers.empty() ? std::vector<nn::Network*>{} : teachers;
    const int threads_before = num_threads();
    std::vector<std::vector<float>> results;
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      nn::Network network = small_network();
      experiment::Trainer trainer(network, o, t);
      trainer.run(*d.train, *d.test, {});
      results.push_back(all_values(network));
    }
    set_num_threads(threads_before);
    CHECK(results[0] == results[1]);
    if (o.teachers.empty()) CHECK(results[0] != plain_result);  // mixing changes the run

    const fs::path checkpoint = out.path() / (data::batch_mixing_name(o.mixing.kind) + ".h5");
    nn::Network first = small_network();
    experiment::Trainer b(first, o, t);
    run_until_stopped(b, d, checkpoint, 2);
    nn::Network resumed = small_network(99);
    experiment::Trainer c(resumed, o, t);
    experiment::load_training_checkpoint(checkpoint, c);
    c.run(*d.train, *d.test, {});
    CHECK(all_values(resumed) == results[0]);

    // A run asking for another mixing, α or probability is refused by the checkpoint.
    experiment::TrainingOptions other = o;
    other.mixing.probability = 0.75;
    nn::Network n = small_network();
    experiment::Trainer e(n, other, t);
    try {
      experiment::load_training_checkpoint(checkpoint, e);
      FAIL("no error");
    } catch (const InputError& err) {
      CHECK(err.field() == "options.mixing_probability");
    }
  }

  // A checkpoint written before mixing existed (no such keys) resumes as an unmixed run, and
  // only as one.
  experiment::TrainingOptions plain = small_options();
  const fs::path plain_checkpoint = out.path() / "plain.h5";
  nn::Network network = small_network();
  experiment::Trainer a(network, plain);
  run_until_stopped(a, d, plain_checkpoint, 1);
  const fs::path older = with_edited_state(
      plain_checkpoint, network, R"(,"mixing":"none","mixing_alpha":1.0,"mixing_probability":1.0)",
      "", out.path() / "older.h5");
  nn::Network again = small_network(99);
  experiment::Trainer f(again, plain);
  experiment::load_training_checkpoint(older, f);
  CHECK(f.epochs_done() == 1);
  experiment::TrainingOptions now_mixed = plain;
  now_mixed.mixing = mixup.mixing;
  nn::Network mixed = small_network(99);
  experiment::Trainer g(mixed, now_mixed);
  try {
    experiment::load_training_checkpoint(older, g);
    FAIL("no error");
  } catch (const InputError& err) {
    CHECK(err.field() == "options.mixing");
  }
}

TEST_CASE("mixing options are validated") {
  experiment::TrainingOptions o = small_options();
  o.mixing = {data::BatchMixingKind::kMixup, 0.0, 1.0};
  CHECK_THROWS_AS(o.validate(), InputError);
  o.mixing = {data::BatchMixingKind::kCutMix, 1.0, 0.0};
  try {
    o.validate();
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(e.field() == "mixing_probability");
  }
  o.mixing = {data::BatchMixingKind::kCutMix, 1.0, 0.5};
  CHECK_NOTHROW(o.validate());
}

namespace {

std::vector<float> average_values(experiment::Trainer& trainer) {
  std::vector<float> v;
  for (const auto& a : trainer.average()->values())
    v.insert(v.end(), a.values.begin(), a.values.end());
  return v;
}

std::vector<float> file_values(const fs::path& file) {
  nn::Network network = small_network(99);
  nn::load_weights_hdf5(file, network);
  return all_values(network);
}

}  // namespace

TEST_CASE("EMA with re-estimated BatchNorm statistics: exported, resumed bit for bit, threads") {
  Data d;  // 200 training images
  test::TempDir out;
  experiment::TrainingOptions o = small_options();
  o.epochs = 3;
  o.weight_noise = 0.02;
  o.augmentation.cutout = 8;
  o.ema_decay = 0.9;
  o.ema_batch_norm_images = 80;  // two whole batches of 32: 64 images

  struct Run {
    std::vector<float> iterate, average, file;
    std::vector<double> accuracy;
  };
  const auto run = [&](const experiment::TrainingOptions& options, const fs::path& checkpoint) {
    nn::Network network = small_network();
    experiment::Trainer trainer(network, options);
    trainer.run(*d.train, *d.test, [&](experiment::Trainer& t) {
      experiment::save_training_checkpoint(checkpoint, t, {}, "");
    });
    Run r{all_values(network), average_values(trainer), file_values(checkpoint), {}};
    for (const experiment::EpochRecord& e : trainer.log())
      r.accuracy.push_back(e.test_accuracy_percent);
    return r;
  };
  const int threads_before = num_threads();
  set_num_threads(1);
  const Run one = run(o, out.path() / "one.h5");
  set_num_threads(2);
  const Run two = run(o, out.path() / "two.h5");
  set_num_threads(threads_before);
  CHECK(one.iterate == two.iterate);
  CHECK(one.average == two.average);
  CHECK(one.file == two.file);
  CHECK(one.accuracy == two.accuracy);

  // Training itself is unchanged: the iterate and the (raw) average are those of a run without.
  experiment::TrainingOptions raw = o;
  raw.ema_batch_norm_images = 0;
  const Run plain = run(raw, out.path() / "raw.h5");
  CHECK(plain.iterate == one.iterate);
  CHECK(plain.average == one.average);
  CHECK(plain.file == plain.average);
  CHECK(one.file != plain.file);

  // The file holds the averaged weights with statistics re-estimated, by hand here, on the first
  // `count` of the n images in the last epoch's order, augmented as trained, in batches of 32.
  const auto reestimated_by_hand = [&](const fs::path& raw_file, std::int64_t n,
                                       std::size_t count) {
    nn::Network expected = small_network(99);
    nn::load_weights_hdf5(raw_file, expected);  // the average, raw statistics
    const std::vector<nn::BatchNorm2d*> bns = expected.batch_norms();
    for (nn::BatchNorm2d* bn : bns) bn->begin_statistics();
    const std::vector<std::int64_t> order = data::shuffled_order(n, o.seed, 2);
    for (std::size_t first = 0; first < count; first += 32) {
      data::CifarBatch batch;
      d.train->make_batch(std::span(order).subspan(first, std::min<std::size_t>(32, count - first)),
                          o.augmentation, o.seed, 2, batch);
      expected.forward(std::move(batch.images));
    }
    for (nn::BatchNorm2d* bn : bns) bn->end_statistics();
    return all_values(expected);
  };
  CHECK(reestimated_by_hand(out.path() / "raw.h5", 200, 64) == one.file);
  // ... and is the network tested.
  nn::Network exported = small_network(99);
  nn::load_weights_hdf5(out.path() / "one.h5", exported);
  d.test->rewind();
  CHECK(one.accuracy.back() == experiment::evaluate_accuracy(exported, *d.test, 200));
  // More images asked for than the split has: all of it, in whole batches (192 of 200).
  experiment::TrainingOptions all_images = o;
  all_images.ema_batch_norm_images = 1000;
  CHECK(reestimated_by_hand(out.path() / "raw.h5", 200, 192) ==
        run(all_images, out.path() / "all.h5").file);
  // A split smaller than a batch: all of it, one batch.
  experiment::TrainingOptions small_split = o, small_raw = raw;
  small_split.max_train_images = small_raw.max_train_images = 24;
  small_split.ema_batch_norm_images = 32;
  run(small_raw, out.path() / "small-raw.h5");
  CHECK(reestimated_by_hand(out.path() / "small-raw.h5", 24, 24) ==
        run(small_split, out.path() / "small.h5").file);

  // Stopped after epoch 2 and resumed: bit for bit the uninterrupted run.
  const fs::path checkpoint = out.path() / "stopped.h5";
  nn::Network first = small_network();
  experiment::Trainer b(first, o);
  run_until_stopped(b, d, checkpoint, 2);
  nn::Network resumed = small_network(99);
  experiment::Trainer c(resumed, o);
  experiment::load_training_checkpoint(checkpoint, c);
  // The loaded state is the saved one: the iterate, the raw average, the exported network.
  CHECK(all_values(resumed) == all_values(first));
  CHECK(average_values(c) == average_values(b));
  experiment::save_training_checkpoint(out.path() / "again.h5", c, {}, "");
  CHECK(file_values(out.path() / "again.h5") == file_values(checkpoint));
  c.run(*d.train, *d.test, [&](experiment::Trainer& t) {
    experiment::save_training_checkpoint(checkpoint, t, {}, "");
  });
  CHECK(all_values(resumed) == one.iterate);
  CHECK(average_values(c) == one.average);
  CHECK(file_values(checkpoint) == one.file);
  CHECK(c.log().back().test_accuracy_percent == one.accuracy.back());

  // A checkpoint of a run without re-estimation does not resume one with it, and one written
  // before the option existed (no such key) resumes only as a run without it.
  nn::Network plain_network = small_network(99);
  const fs::path older =
      with_edited_state(out.path() / "raw.h5", plain_network, R"(,"ema_batch_norm_images":0)", "",
                        out.path() / "older.h5");
  for (const fs::path& file : {out.path() / "raw.h5", older}) {
    CAPTURE(file);
    nn::Network n = small_network(99);
    experiment::Trainer e(n, o);
    try {
      experiment::load_training_checkpoint(file, e);
      FAIL("no error");
    } catch (const InputError& err) {
      CHECK(err.field() == "options.ema_batch_norm_images");
    }
  }
  nn::Network n = small_network(99);
  experiment::Trainer without(n, raw);
  experiment::load_training_checkpoint(older, without);
  CHECK(without.epochs_done() == 3);

  const struct {
    std::int64_t images;
    double ema_decay;
    int frozen_epochs;
  } bad_cases[] = {{-1, 0.9, 0}, {31, 0.9, 0}, {64, 0, 0}, {64, 0.9, 1}};
  for (const auto& bad_case : bad_cases) {
    CAPTURE(bad_case.images);
    CAPTURE(bad_case.ema_decay);
    CAPTURE(bad_case.frozen_epochs);
    experiment::TrainingOptions bad = o;
    bad.ema_batch_norm_images = bad_case.images;
    bad.ema_decay = bad_case.ema_decay;
    bad.frozen_batch_norm_epochs = bad_case.frozen_epochs;
    try {
      bad.validate();
      FAIL("no error");
    } catch (const InputError& err) {
      CHECK(err.field() == "ema_batch_norm_images");
    }
  }
}
