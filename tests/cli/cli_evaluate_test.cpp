// pcmkit evaluate through the real binary, on a ResNet-20 with PyTorch's initial weights and
// 20 synthetic CIFAR-10 records: the files it writes, and every kind of bad input (exit 2, one
// stderr line naming file or option, nothing written).
#include <doctest/doctest.h>

#include <fstream>

#include "cli_process.h"
#include "pcmkit/core/file_digest.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/weights_hdf5.h"
#include "test_support/synthetic_cifar.h"

namespace pcmkit::cli_test {
namespace {

// Inputs live outside the scratch directory, so that "nothing written" means an empty scratch.
struct EvaluateInputs {
  ScratchDir dir;
  fs::path weights, data;
  EvaluateInputs() {
    weights = dir / "r20.h5";
    nn::Network network = nn::make_resnet("resnet20");
    nn::save_weights_hdf5(weights, network, {{0.5f, 0.5f, 0.5f}, {0.25f, 0.25f, 0.25f}});
    data = dir / "cifar";
    test::write_synthetic_cifar_dir(data, 20, 20);
  }
  // The base arguments, then `extra`; an option in `extra` replaces the base one (CLI11 rejects
  // repeated options).
  std::vector<std::string> args(std::vector<std::string> extra) const {
    std::vector<std::pair<std::string, std::string>> base = {{"--weights", weights.string()},
                                                             {"--arch", "resnet20"},
                                                             {"--data", data.string()},
                                                             {"--batch-size", "10"},
                                                             {"--adabs-images", "20"}};
    for (std::size_t k = 0; k + 1 < extra.size(); ++k)
      for (auto& [option, value] : base)
        if (extra[k] == option) {
          value = extra[k + 1];
          extra.erase(extra.begin() + static_cast<std::ptrdiff_t>(k),
                      extra.begin() + static_cast<std::ptrdiff_t>(k + 2));
          --k;
          break;
        }
    std::vector<std::string> a = {"evaluate", "--quiet"};
    for (const auto& [option, value] : base) a.insert(a.end(), {option, value});
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
};

const std::string kModel =
    (fs::path(PCMKIT_SOURCE_DIR) / "calibration/pcm_like_nandakumar2019.json").string();

}  // namespace

TEST_CASE("evaluate writes the table, CSV, JSON and plot") {
  EvaluateInputs in;
  ScratchDir scratch;
  const Outcome r = run_pcmkit(in.args({"--model", kModel, "--times", "25,1d", "--repeats", "2",
                                        "--compensation", "none,gdc,adabs", "-o", "out"}),
                               scratch.path());
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "fp32 accuracy"));
  CHECK(contains(r.out, "adabs"));
  CHECK(fs::exists(scratch / "out/results.json"));
  const std::string csv = read_text(scratch / "out/results.csv");
  CHECK(count_lines(csv) == 1 + 2 * 3);
  const std::string json = read_text(scratch / "out/results.json");
  CHECK(contains(json, "\"weights_sha256\""));
  CHECK(contains(json, "\"device_model\""));
  CHECK(contains(json, "\"adabs_augmentation\": true"));  // CIFAR-10's default
}

TEST_CASE("results.json holds the model file as read: path, SHA-256, standard errors, provenance") {
  EvaluateInputs in;
  ScratchDir scratch;
  REQUIRE(run_pcmkit({"synth", "-o", "c.h5", "--levels", "lin:0:25:5", "--devices-per-level", "300",
                      "--times", "log:25:1d:6", "--traces", "8", "--trace-reads", "256", "--quiet"},
                     scratch.path())
              .exit_code == 0);
  REQUIRE(
      run_pcmkit({"calibrate", "c.h5", "-o", "fit.json", "--quiet"}, scratch.path()).exit_code ==
      0);
  const Outcome r = run_pcmkit(in.args({"--model", "fit.json", "--times", "25", "--repeats", "1",
                                        "--compensation", "gdc", "-o", "out"}),
                               scratch.path());
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  const std::string json = read_text(scratch / "out/results.json");
  CHECK(contains(json, "\"model\": \"fit.json\""));
  CHECK(contains(json, "\"model_sha256\": \"" + sha256_of_file(scratch / "fit.json") + "\""));
  CHECK(contains(json, "\"std_error\""));
  CHECK(contains(json, "\"provenance\""));
  CHECK(contains(json, "\"input_sha256\": \"" + sha256_of_file(scratch / "c.h5") + "\""));
}

TEST_CASE("evaluate --device ideal needs no model and reproduces fp32") {
  EvaluateInputs in;
  ScratchDir scratch;
  const Outcome r = run_pcmkit(in.args({"--device", "ideal", "--compensation", "none", "--times",
                                        "25", "--repeats", "1", "-o", "out"}),
                               scratch.path());
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
}

TEST_CASE("evaluate that cannot write one result file leaves an earlier run's files as they were") {
  EvaluateInputs in;
  ScratchDir scratch;
  fs::create_directories(scratch / "out/results.json");  // cannot be replaced by a file
  { std::ofstream(scratch / "out/results.csv") << "earlier"; }
  { std::ofstream(scratch / "out/accuracy.png") << "earlier"; }
  const Outcome r = run_pcmkit(in.args({"--device", "ideal", "--compensation", "none", "--times",
                                        "25", "--repeats", "1", "-o", "out"}),
                               scratch.path());
  INFO("stderr: ", r.err);
  CHECK(r.exit_code == 1);
  check_one_error_line(r.err);
  CHECK(contains(r.err, "results.json"));
  CHECK(read_text(scratch / "out/results.csv") == "earlier");  // not new beside old
  // The computed items are kept for --resume, which then only writes.
  CHECK(contains(r.err, "--resume"));
  CHECK(joined(scratch.entries()) ==
        "out, out/accuracy.png, out/results.csv, out/results.json, out/sweep.journal");
  fs::remove(scratch / "out/results.json");
  const Outcome resumed =
      run_pcmkit(in.args({"--device", "ideal", "--compensation", "none", "--times", "25",
                          "--repeats", "1", "-o", "out", "--resume"}),
                 scratch.path());
  INFO("stderr: ", resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK(joined(scratch.entries()) ==
        "out, out/accuracy.dat, out/accuracy.gp, out/accuracy.png, out/results.csv, "
        "out/results.json");
}

TEST_CASE("evaluate records paths with quotes and backslashes as valid JSON") {
  EvaluateInputs in;
  const fs::path odd = in.dir / "we\"ights\\ 1.h5";
  fs::copy_file(in.weights, odd);
  ScratchDir scratch;
  const Outcome r =
      run_pcmkit(in.args({"--weights", odd.string(), "--device", "ideal", "--compensation", "none",
                          "--times", "25", "--repeats", "1", "-o", "out"}),
                 scratch.path());
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  const std::string json = read_text(scratch / "out/results.json");
  CHECK(contains(json, "we\\\"ights\\\\ 1.h5"));  // escaped: we\"ights\\ 1.h5
  CHECK(contains(json, "\"seed\": 1,"));
}

TEST_CASE("evaluate with DAC, ADC and tiles records them in results.json") {
  EvaluateInputs in;
  ScratchDir scratch;
  const Outcome r =
      run_pcmkit(in.args({"--model", kModel, "--compensation", "none,gdc", "--times", "25",
                          "--repeats", "1", "--dac-bits", "8", "--adc-bits", "6", "--adc-range",
                          "12.5", "--tile-size", "64x32", "--first-layer-digital", "-o", "out"}),
                 scratch.path());
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  const std::string json = read_text(scratch / "out/results.json");
  CHECK(contains(json, "\"dac_bits\": 8"));
  CHECK(contains(json, "\"adc_bits\": 6"));
  CHECK(contains(json, "\"adc_range\": 12.5"));
  CHECK(contains(json, "\"tile_size\": \"64x32\""));
}

TEST_CASE("evaluate --adabs-augmentation false calibrates on plain images and records it") {
  EvaluateInputs in;
  ScratchDir scratch;
  const Outcome r =
      run_pcmkit(in.args({"--device", "ideal", "--compensation", "adabs", "--times", "25",
                          "--repeats", "1", "--adabs-augmentation", "false", "-o", "out"}),
                 scratch.path());
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(read_text(scratch / "out/results.json"), "\"adabs_augmentation\": false"));
}

TEST_CASE("evaluate --adabs-cutout runs and is recorded in results.json") {
  EvaluateInputs in;
  ScratchDir scratch;
  const auto run = [&](const std::string& cutout, const std::string& out) {
    const Outcome r =
        run_pcmkit(in.args({"--device", "ideal", "--compensation", "adabs", "--times", "25",
                            "--repeats", "1", "--adabs-cutout", cutout, "-o", out}),
                   scratch.path());
    INFO("stderr: ", r.err);
    REQUIRE(r.exit_code == 0);
    return read_text(scratch / out / "results.json");
  };
  const std::string plain = run("0", "plain"), cut = run("16", "cut");
  CHECK(contains(plain, "\"adabs_cutout\": 0"));
  CHECK(contains(cut, "\"adabs_cutout\": 16"));  // the images: cifar10_calibration_set_test
}

TEST_CASE("evaluate without periphery flags records them off") {
  EvaluateInputs in;
  ScratchDir scratch;
  const Outcome r = run_pcmkit(in.args({"--device", "ideal", "--compensation", "none", "--times",
                                        "25", "--repeats", "1", "-o", "out"}),
                               scratch.path());
  REQUIRE(r.exit_code == 0);
  const std::string json = read_text(scratch / "out/results.json");
  CHECK(contains(json, "\"dac_bits\": 0"));
  CHECK(contains(json, "\"adc_range\": 10"));
  CHECK(contains(json, "\"tile_size\": \"0x0\""));
}

TEST_CASE("evaluate: bad input exits 2 with one line and writes nothing") {
  EvaluateInputs in;
  struct Case {
    std::vector<std::string> extra;
    std::string expected;
  };
  const fs::path bad_model = kDataDir / "bad_models";
  std::vector<Case> cases = {
      {{"--model", kModel, "--arch", "resnet99"}, "resnet99"},
      {{"--model", kModel, "--arch", "resnet32"}, "layer1.3"},  // weights of another depth
      {{"--model", kModel, "--times", "10"}, "--times"},
      {{"--model", kModel, "--times", "1x"}, "--times"},
      {{"--model", kModel, "--compensation", "none,gcd"}, "gcd"},
      {{"--model", kModel, "--repeats", "0"}, "--repeats"},
      {{"--model", kModel, "--adabs-augmentation", "maybe"}, "--adabs-augmentation"},
      {{"--model", kModel, "--adabs-cutout", "33"}, "--adabs-cutout"},
      {{"--model", kModel, "--adabs-cutout", "-1"}, "--adabs-cutout"},
      {{}, "--model"},
      {{"--model", "missing.json"}, "missing.json"},
      {{"--model", kModel, "--weights", "missing.h5"}, "missing.h5"},
      {{"--model", kModel, "--data", "no_such_dir"}, "test_batch.bin"},
      {{"--device", "ideal", "--dac-bits", "1"}, "--dac-bits"},
      {{"--model", kModel, "--dac-bits", "eight"}, "--dac-bits"},
      {{"--model", kModel, "--adc-bits", "25"}, "--adc-bits"},
      {{"--model", kModel, "--adc-bits", "-2"}, "--adc-bits"},
      {{"--model", kModel, "--adc-range", "0"}, "--adc-range"},
      {{"--model", kModel, "--adc-range", "inf"}, "--adc-range"},
      {{"--model", kModel, "--tile-size", "256"}, "--tile-size"},
      {{"--model", kModel, "--tile-size", "2x-1"}, "--tile-size"},
  };
  for (const auto& entry : fs::directory_iterator(bad_model))
    if (entry.path().extension() == ".json") {
      cases.push_back({{"--model", entry.path().string()}, entry.path().filename().string()});
      break;  // one bad model is enough here; cli_bad_input_test replays them all
    }
  for (const Case& c : cases) {
    std::vector<std::string> extra = c.extra;
    extra.insert(extra.end(), {"-o", "out"});
    check_rejected(in.args(extra), c.expected);
  }
}

TEST_CASE("evaluate: a truncated data file is an input error naming it") {
  EvaluateInputs in;
  fs::resize_file(in.data / "test_batch.bin", 3073 * 5 + 100);
  ScratchDir scratch;
  const Outcome r = run_pcmkit(in.args({"--model", kModel, "-o", "out"}), scratch.path());
  CHECK(r.exit_code == 2);
  check_one_error_line(r.err);
  CHECK(contains(r.err, "test_batch.bin"));
  CHECK(scratch.entries().empty());
}

}  // namespace pcmkit::cli_test
