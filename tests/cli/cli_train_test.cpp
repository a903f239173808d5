// pcmkit train through the real binary on a small learnable CIFAR-format set
// (test_support/synthetic_cifar.h): the files it writes, that its weights feed evaluate, resume,
// and bad input (exit 2, one stderr line naming the option or file, nothing written).
#include <doctest/doctest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "cli_process.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/weights_hdf5.h"
#include "test_support/synthetic_cifar.h"

namespace pcmkit::cli_test {
namespace {

struct TrainInputs {
  ScratchDir dir;
  fs::path data;
  TrainInputs() {
    data = dir / "cifar";
    test::write_synthetic_cifar_dir(data, 20, 40);  // 100 training, 40 test images
  }
  std::vector<std::string> args(std::vector<std::string> extra) const {
    std::vector<std::string> a = {"train",       "--quiet",  "--arch", "resnet20",     "--data",
                                  data.string(), "--epochs", "2",      "--batch-size", "25"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
};

// Every parameter and buffer of a resnet20 weights file, in module order, and its Cutout
// attribute: what a weights file says, whatever bytes libhdf5 left unused in it.
std::pair<std::vector<float>, int> weights_content(const fs::path& path) {
  nn::Network network = nn::make_resnet("resnet20");
  const nn::WeightsFileInfo info = nn::load_weights_hdf5(path, network);
  std::vector<float> values;
  for (const nn::ParameterRef& p : network.parameters())
    values.insert(values.end(), p.values.begin(), p.values.end());
  return {values, info.training_cutout};
}

}  // namespace

TEST_CASE("train writes checkpoint, weights, log, settings and plot — evaluate reads the weights") {
  TrainInputs in;
  ScratchDir scratch;
  const Outcome r =
      run_pcmkit(in.args({"--weight-noise", "0.038", "--clip", "2", "-o", "run"}), scratch.path());
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "epoch 2/2"));
  for (const char* f : {"checkpoint.h5", "weights.h5", "log.csv", "settings.json", "training.gp"})
    CHECK(fs::exists(scratch / "run" / f));
  CHECK(count_lines(read_text(scratch / "run/log.csv")) == 3);
  CHECK(contains(read_text(scratch / "run/settings.json"), "\"weight_noise\": 0.038"));

  const Outcome e =
      run_pcmkit({"evaluate", "--quiet", "--device", "ideal", "--arch", "resnet20", "--weights",
                  (scratch / "run/weights.h5").string(), "--data", in.data.string(),
                  "--compensation", "none", "--times", "25", "--repeats", "1", "-o", "eval"},
                 scratch.path());
  INFO("evaluate stderr: ", e.err);
  CHECK(e.exit_code == 0);

  // A fine-tuning run from those weights records the file it began from (and its mixing).
  const Outcome ft = run_pcmkit(
      in.args({"--init-weights", "run/weights.h5", "--max-train-images", "50", "--cutmix", "1",
               "--mix-probability", "0.5", "--cutout", "8", "-o", "ft"}),
      scratch.path());
  INFO("fine-tune stderr: ", ft.err);
  CHECK(ft.exit_code == 0);
  const std::string ft_settings = read_text(scratch / "ft/settings.json");
  CHECK(contains(ft_settings, "\"init_weights\": \"run/weights.h5\""));
  CHECK(contains(ft_settings, "\"mixing\": \"cutmix\""));
  CHECK(contains(ft_settings, "\"mixing_probability\": 0.5"));
  // Its weights record the Cutout, and evaluate's AdaBS cuts the same squares unless told not to.
  for (const auto& [extra, expected] :
       std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{}, "\"adabs_cutout\": 8"}, {{"--adabs-cutout", "0"}, "\"adabs_cutout\": 0"}}) {
    std::vector<std::string> args = {"evaluate",
                                     "--quiet",
                                     "--device",
                                     "ideal",
                                     "--arch",
                                     "resnet20",
                                     "--weights",
                                     (scratch / "ft/weights.h5").string(),
                                     "--data",
                                     in.data.string(),
                                     "--adabs-images",
                                     "20",
                                     "--compensation",
                                     "adabs",
                                     "--times",
                                     "25",
                                     "--repeats",
                                     "1",
                                     "-o",
                                     "eval-ft"};
    args.insert(args.end() - 2, extra.begin(), extra.end());
    const Outcome ev = run_pcmkit(args, scratch.path());
    INFO("evaluate stderr: ", ev.err);
    REQUIRE(ev.exit_code == 0);
    CHECK(contains(read_text(scratch / "eval-ft/results.json"), expected));
    fs::remove_all(scratch / "eval-ft");
  }

  // The run is complete: resuming it is an input error, and so is starting over in its place.
  const Outcome again = run_pcmkit(
      in.args({"--weight-noise", "0.038", "--clip", "2", "--resume", "-o", "run"}), scratch.path());
  CHECK(again.exit_code == 2);
  CHECK(contains(again.err, "already complete"));
  const Outcome over = run_pcmkit(in.args({"-o", "run"}), scratch.path());
  CHECK(over.exit_code == 2);
  CHECK(contains(over.err, "--resume"));
}

TEST_CASE(
    "train --hardware-aware uses the paper's weight noise and clipping, options override it") {
  TrainInputs in;
  ScratchDir scratch;
  const auto settings = [&](std::vector<std::string> extra, const std::string& dir) {
    extra.insert(extra.end(), {"--max-train-images", "50", "-o", dir});
    const Outcome r = run_pcmkit(in.args(extra), scratch.path());
    INFO("stderr: ", r.err);
    REQUIRE(r.exit_code == 0);
    return read_text(scratch / dir / "settings.json");
  };
  const std::string paper = settings({"--hardware-aware"}, "hwa");
  CHECK(contains(paper, "\"weight_noise\": 0.038"));
  CHECK(contains(paper, "\"clip_alpha\": 2.0"));
  const std::string override = settings({"--hardware-aware", "--clip", "0"}, "no_clip");
  CHECK(contains(override, "\"weight_noise\": 0.038"));
  CHECK(contains(override, "\"clip_alpha\": 0.0"));
  const std::string plain = settings({}, "plain");
  CHECK(contains(plain, "\"weight_noise\": 0.0"));
  CHECK(contains(plain, "\"clip_alpha\": 0.0"));
  CHECK(contains(plain, "\"frozen_batch_norm_epochs\": 0"));
  const std::string frozen = settings({"--hardware-aware", "--frozen-bn-epochs", "1"}, "frozen");
  CHECK(contains(frozen, "\"frozen_batch_norm_epochs\": 1"));
  CHECK(contains(plain, "\"ema_batch_norm_images\": 0"));
  const std::string ema = settings({"--ema-decay", "0.99", "--ema-bn-images", "50"}, "ema");
  CHECK(contains(ema, "\"ema_batch_norm_images\": 50"));
}

TEST_CASE("train interrupted names the epoch its checkpoint kept, and --resume finishes the run") {
  TrainInputs in;
  ScratchDir scratch;
  // SIGTERM as soon as the first checkpoint is there. Batches of 4 make an epoch take about half
  // a second, against the 20 ms between the test's looks.
  const auto args = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = in.args(std::move(extra));
    *(std::find(a.begin(), a.end(), "--batch-size") + 1) = "4";
    return a;
  };
  bool sent = false;
  const Outcome r =
      run_pcmkit(args({"-o", "run"}), scratch.path(), StderrTo::kPipe, [&](pid_t pid) {
        if (!sent && fs::exists(scratch / "run/checkpoint.h5")) {
          ::kill(pid, SIGTERM);
          sent = true;
        }
      });
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 128 + SIGTERM);
  CHECK(contains(r.err,
                 "pcmkit: interrupted: epoch 1 of 2 kept in run/checkpoint.h5; rerun with --resume "
                 "to finish\n"));
  CHECK(!fs::exists(scratch / "run/weights.h5"));

  const Outcome resumed = run_pcmkit(args({"--resume", "-o", "run"}), scratch.path());
  INFO("resumed stderr: ", resumed.err);
  REQUIRE(resumed.exit_code == 0);
  const auto weights = weights_content(scratch / "run/weights.h5");
  // Stopped between the last checkpoint and the weights: --resume writes the same weights (the
  // same values; the file's bytes may differ where libhdf5 leaves space unused).
  fs::remove(scratch / "run/weights.h5");
  const Outcome finished = run_pcmkit(args({"--resume", "-o", "run"}), scratch.path());
  INFO("finished stderr: ", finished.err);
  CHECK(finished.exit_code == 0);
  CHECK(contains(finished.out, "epoch 2/2"));
  CHECK(weights_content(scratch / "run/weights.h5") == weights);
}

TEST_CASE("train reports each epoch on stderr with the run's time left") {
  TrainInputs in;
  ScratchDir scratch;
  std::vector<std::string> args = in.args({"--max-train-images", "50", "-o", "run"});
  args.erase(std::find(args.begin(), args.end(), "--quiet"));
  const Outcome r = run_pcmkit(args, scratch.path());
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  const auto first = r.err.find("epoch 1/2");
  REQUIRE(first != std::string::npos);
  const std::string line = r.err.substr(first, r.err.find('\n', first) - first);
  CHECK(contains(line, "; run ~"));
  CHECK(contains(line, " left"));
  const auto last = r.err.find("epoch 2/2");
  REQUIRE(last != std::string::npos);
  CHECK(!contains(r.err.substr(last), "; run"));  // nothing left after the last epoch
}

TEST_CASE("train: bad input exits 2 with one line and writes nothing") {
  TrainInputs in;
  struct Case {
    std::vector<std::string> extra;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{"--arch", "resnet99"}, "resnet99"},
      {{"--arch", "resnet18"}, "ImageNet network"},
      {{"--lr", "-1"}, "--lr"},
      {{"--schedule", "linear"}, "linear"},
      {{"--frozen-bn-epochs", "3"}, "--frozen-bn-epochs"},
      {{"--schedule", "step", "--milestones", "2,1"}, "--milestones"},
      {{"--milestones", "a"}, "--milestones"},
      {{"--batch-size", "1"}, "--batch-size"},
      {{"--weight-noise", "-0.1"}, "--weight-noise"},
      {{"--clip", "-2"}, "--clip"},
      {{"--label-smoothing", "1"}, "--label-smoothing"},
      {{"--momentum", "1.5"}, "momentum"},
      {{"--resume"}, "checkpoint.h5"},
      {{"--init-weights", "missing.h5"}, "missing.h5"},
      {{"--data", "no_such_dir"}, "data_batch_1.bin"},
      {{"--mixup", "1", "--cutmix", "1"}, "--cutmix"},
      {{"--mixup", "-1"}, "--mixup"},
      {{"--cutmix", "200"}, "--cutmix"},
      {{"--mix-probability", "0.5"}, "--mix-probability"},
      {{"--cutmix", "1", "--mix-probability", "0"}, "--mix-probability"},
      {{"--ema-bn-images", "50"}, "--ema-bn-images"},                         // needs --ema-decay
      {{"--ema-decay", "0.99", "--ema-bn-images", "10"}, "--ema-bn-images"},  // < a batch
      {{"--ema-decay", "0.99", "--ema-bn-images", "50", "--frozen-bn-epochs", "1"},
       "--ema-bn-images"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> extra = c.extra;
    extra.insert(extra.end(), {"-o", "out"});
    std::vector<std::string> args = in.args(extra);
    // An option given twice is a CLI11 error: the case's own --arch or --data replaces the base.
    if (c.extra.front() == "--data") args.erase(args.begin() + 4, args.begin() + 6);
    if (c.extra.front() == "--arch") args.erase(args.begin() + 2, args.begin() + 4);
    check_rejected(args, c.expected);
  }
}

}  // namespace pcmkit::cli_test

namespace pcmkit::cli_test {

TEST_CASE("train: a diverging run stops with exit 1 and checkpoints nothing non-finite") {
  TrainInputs in;
  // η = 1e30: the first noisy forward pass overflows (non-finite logits or statistics).
  for (const std::vector<std::string>& extra : {std::vector<std::string>{"--weight-noise", "1e30"},
                                                std::vector<std::string>{"--lr", "1e30"}}) {
    ScratchDir scratch;
    std::vector<std::string> options = extra;
    options.insert(options.end(), {"-o", "run"});
    const Outcome r = run_pcmkit(in.args(options), scratch.path());
    INFO(command_line(in.args(options)), "\nstderr: ", r.err);
    CHECK(r.exit_code == 1);
    check_one_error_line(r.err);
    CHECK(contains(r.err, "training diverged"));
    CHECK(!fs::exists(scratch / "run/weights.h5"));
    CHECK(!fs::exists(scratch / "run/checkpoint.h5"));
  }
}

}  // namespace pcmkit::cli_test
