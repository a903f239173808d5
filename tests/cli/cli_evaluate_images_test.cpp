// pcmkit evaluate through the real binary on ImageNet-style folders of the committed JPEG
// fixtures, with a ResNet-18 whose weights are all zero (BatchNorm at identity): every logit is
// equal, so the predicted class is 0 and the accuracy is the share of label-0 images, which
// checks that labels flow from the folder to the report. Then the image folder's bad inputs.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

#include "cli_process.h"
#include "pcmkit/nn/resnet.h"
#include "pcmkit/nn/weights_hdf5.h"

namespace pcmkit::cli_test {
namespace {

const fs::path kImages = kDataDir / "images";

// val: class "a" (2 images) and "b" (2 images); train: a, b, c with 2, 1, 2 images;
// flat: 3 images and labels.txt giving labels 0, 5, 0.
struct ImageInputs {
  ScratchDir dir;
  fs::path weights, val, train, flat;
  ImageInputs() {
    weights = dir / "r18.h5";
    nn::Network network = nn::make_resnet("resnet18");
    nn::save_weights_hdf5(weights, network, {{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}});
    val = dir / "val";
    train = dir / "train";
    flat = dir / "flat";
    copy(val / "a/1.jpg", "landscape");
    copy(val / "a/2.jpg", "gray");
    copy(val / "b/1.jpg", "portrait");
    copy(val / "b/2.jpg", "small");
    copy(train / "a/x.jpg", "exact");
    copy(train / "a/y.jpg", "square444");
    copy(train / "b/x.jpg", "landscape");
    copy(train / "c/x.jpg", "portrait");
    copy(train / "c/y.jpg", "gray");
    copy(flat / "one.jpg", "landscape");
    copy(flat / "two.jpg", "portrait");
    copy(flat / "three.jpg", "gray");
    std::ofstream(flat / "labels.txt") << "one.jpg 0\ntwo.jpg 5\nthree.jpg 0\n";
  }
  static void copy(const fs::path& to, const std::string& fixture) {
    fs::create_directories(to.parent_path());
    fs::copy_file(kImages / (fixture + ".jpg"), to);
  }
  std::vector<std::string> args(const fs::path& data, std::vector<std::string> extra) const {
    std::vector<std::string> a = {"evaluate",  "--quiet",     "--device",     "ideal",
                                  "--arch",    "resnet18",    "--weights",    weights.string(),
                                  "--data",    data.string(), "--times",      "25",
                                  "--repeats", "1",           "--batch-size", "3"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
};

}  // namespace

TEST_CASE("evaluate on an ImageFolder with AdaBS from a training folder (256/224 preprocessing)") {
  ImageInputs in;
  ScratchDir scratch;
  const Outcome r =
      run_pcmkit(in.args(in.val, {"--compensation", "none,adabs", "--calibration-data",
                                  in.train.string(), "-o", "out"}),
                 scratch.path());
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "fp32 accuracy"));
  CHECK(contains(r.out, "50.00"));  // 2 of 4 images have label 0
  const std::string json = read_text(scratch / "out/results.json");
  CHECK(contains(json, "\"image-folder\""));
  CHECK(contains(json, "\"adabs_images\": 1300"));         // the ImageNet default
  CHECK(contains(json, "\"num_adabs_images\": 5"));        // what the training folder holds
  CHECK(contains(json, "\"adabs_augmentation\": false"));  // image folders: never
  CHECK(contains(json, "\"num_test_images\": 4"));
  CHECK(count_lines(read_text(scratch / "out/results.csv")) == 1 + 2);
}

TEST_CASE("evaluate on a folder with labels.txt, small preprocessing") {
  ImageInputs in;
  ScratchDir scratch;
  const Outcome r = run_pcmkit(
      in.args(in.flat, {"--compensation", "none", "--resize", "40", "--crop", "32", "-o", "out"}),
      scratch.path());
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "66.67"));  // 2 of 3 images have label 0
  CHECK(contains(read_text(scratch / "out/results.json"), "\"crop\": 32"));
}

TEST_CASE("evaluate on image folders: bad input exits 2 with one line and writes nothing") {
  ImageInputs in;
  const fs::path broken = in.dir / "broken";
  ImageInputs::copy(broken / "a/1.jpg", "landscape");
  std::ofstream(broken / "a/2.jpg") << "not a jpeg";
  const fs::path bad_label = in.dir / "bad_label";
  ImageInputs::copy(bad_label / "x.jpg", "landscape");
  std::ofstream(bad_label / "labels.txt") << "x.jpg 1000\n";
  const fs::path empty = in.dir / "empty";
  fs::create_directories(empty);
  const fs::path truncated = in.dir / "truncated";
  ImageInputs::copy(truncated / "a/1.jpg", "portrait");
  fs::resize_file(truncated / "a/1.jpg", 1000);
  struct Case {
    fs::path data;
    std::vector<std::string> extra;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {in.val, {"--compensation", "none,adabs"}, "--calibration-data"},
      {in.val,
       {"--compensation", "adabs", "--calibration-data", empty.string()},
       "no class folder"},
      {broken, {"--compensation", "none"}, (broken / "a/2.jpg").string()},
      {truncated, {"--compensation", "none"}, "truncated"},
      {bad_label, {"--compensation", "none"}, "labels.txt: line 1: label 1000 is not in 0..999"},
      {empty, {"--compensation", "none"}, "no class folder"},
      {in.val, {"--compensation", "none", "--crop", "300"}, "--crop"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> extra = c.extra;
    if (std::find(extra.begin(), extra.end(), "--crop") == extra.end())
      extra.insert(extra.end(), {"--resize", "40", "--crop", "32"});  // small and fast
    extra.insert(extra.end(), {"-o", "out"});
    check_rejected(in.args(c.data, extra), c.expected);
  }
}

}  // namespace pcmkit::cli_test
