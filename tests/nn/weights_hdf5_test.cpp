// Weights in HDF5: round trip, and one-line errors naming the file and the tensor.
#include "pcmkit/nn/weights_hdf5.h"

#include <H5Cpp.h>
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "nn_test_support.h"
#include "pcmkit/core/error.h"
#include "pcmkit/nn/resnet.h"
#include "test_support/temp_dir.h"

namespace pcmkit::nn {
namespace {

namespace fs = std::filesystem;

using test::TempDir;

const InputNormalization kImageNet{{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};

// The what() of the InputError that `f` throws ("" if none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::vector<float> all_values(Network& net) {
  std::vector<float> out;
  for (const ParameterRef& p : net.parameters())
    out.insert(out.end(), p.values.begin(), p.values.end());
  return out;
}

TEST_CASE("Weights round-trip through HDF5 with the normalisation attributes") {
  TempDir dir;
  Network saved = make_resnet("resnet20");
  testing::randomize(saved, 1);
  save_weights_hdf5(dir / "w.h5", saved, kImageNet);
  Network loaded = make_resnet("resnet20");
  const WeightsFileInfo info = load_weights_hdf5(dir / "w.h5", loaded);
  CHECK(all_values(loaded) == all_values(saved));
  CHECK(info.normalization.mean == kImageNet.mean);
  CHECK(info.normalization.std == kImageNet.std);
  // BatchNorm was refreshed: both networks give the same logits.
  const Tensor images = testing::random_tensor(3, 3, 32, 32, 2);
  CHECK(loaded.forward(images) == saved.forward(images));

  save_weights_hdf5(dir / "plain.h5", saved, {});
  CHECK(load_weights_hdf5(dir / "plain.h5", loaded).normalization.mean.empty());
}

TEST_CASE("Missing, extra and mis-shaped tensors are one-line errors naming file and tensor") {
  TempDir dir;
  const std::string file20 = (dir / "r20.h5").string(), file32 = (dir / "r32.h5").string();
  Network r20 = make_resnet("resnet20");
  Network r32 = make_resnet("resnet32");
  testing::randomize(r20, 3);
  testing::randomize(r32, 4);
  save_weights_hdf5(file20, r20, kImageNet);
  save_weights_hdf5(file32, r32, kImageNet);
  const std::vector<float> before = all_values(r32);

  CHECK(error_of([&] { load_weights_hdf5(file20, r32); }) ==
        file20 + ": layer1.3.conv1.weight: missing tensor");
  CHECK(all_values(r32) == before);  // unchanged on error
  CHECK(error_of([&] { load_weights_hdf5(file32, r20); }).starts_with(file32 + ": layer1.3."));
  CHECK(error_of([&] { load_weights_hdf5(file32, r20); }).find("unexpected tensor") !=
        std::string::npos);

  CifarResNetOptions narrow;
  narrow.widths = {8, 16, 32};
  Network small = make_cifar_resnet(narrow);
  const std::string file_small = (dir / "small.h5").string();
  save_weights_hdf5(file_small, small, {});
  CHECK(error_of([&] { load_weights_hdf5(file_small, r20); }) ==
        file_small + ": conv1.weight: shape [8, 3, 3, 3], expected [16, 3, 3, 3]");
}

// Adds or replaces datasets and attributes in a copy of a valid file.
void edit(const fs::path& file, const std::function<void(H5::H5File&)>& change) {
  H5::H5File h5(file.string(), H5F_ACC_RDWR);
  change(h5);
}

TEST_CASE("num_batches_tracked is ignored — wrong types, values and attributes are errors") {
  TempDir dir;
  Network net = make_resnet("resnet20");
  testing::randomize(net, 5);
  const fs::path good = dir / "good.h5";
  save_weights_hdf5(good, net, kImageNet);

  SUBCASE("BatchNorm counters written by PyTorch >= 0.4 are ignored") {
    edit(good, [](H5::H5File& h5) {
      const long long tracked = 100;
      h5.createDataSet("layer1.0.bn1.num_batches_tracked", H5::PredType::STD_I64LE,
                       H5::DataSpace(H5S_SCALAR))
          .write(&tracked, H5::PredType::NATIVE_LLONG);
    });
    CHECK_NOTHROW(load_weights_hdf5(good, net));
  }
  SUBCASE("a counter for something that is not a BatchNorm is extra") {
    edit(good, [](H5::H5File& h5) {
      h5.createDataSet("layer1.0.conv1.num_batches_tracked", H5::PredType::STD_I64LE,
                       H5::DataSpace(H5S_SCALAR));
    });
    CHECK(error_of([&] { load_weights_hdf5(good, net); })
              .ends_with("layer1.0.conv1.num_batches_tracked: unexpected tensor: not a parameter "
                         "of resnet20"));
  }
  SUBCASE("integer tensor") {
    edit(good, [](H5::H5File& h5) {
      h5.unlink("linear.bias");
      const hsize_t n = 10;
      h5.createDataSet("linear.bias", H5::PredType::STD_I32LE, H5::DataSpace(1, &n));
    });
    CHECK(error_of([&] {
            load_weights_hdf5(good, net);
          }).ends_with("linear.bias: expected float values"));
  }
  SUBCASE("numbers wider than 16 bytes are a damaged type, refused before libhdf5 allocates") {
    edit(good, [](H5::H5File& h5) {
      h5.unlink("linear.bias");
      const hsize_t n = 10;
      H5::FloatType wide(H5::PredType::IEEE_F32LE);
      wide.setSize(32);  // a valid HDF5 type, but no number pcmkit reads is this wide
      h5.createDataSet("linear.bias", wide, H5::DataSpace(1, &n));
    });
    CHECK(error_of([&] {
            load_weights_hdf5(good, net);
          }).ends_with("linear.bias: float values of 32 bytes each (a damaged type)"));
  }
  SUBCASE("non-finite value") {
    edit(good, [](H5::H5File& h5) {
      const float bias[10] = {0, 0, 0, std::numeric_limits<float>::quiet_NaN(), 0, 0, 0, 0, 0, 0};
      h5.openDataSet("linear.bias").write(bias, H5::PredType::NATIVE_FLOAT);
    });
    CHECK(error_of([&] {
            load_weights_hdf5(good, net);
          }).ends_with("linear.bias: not finite at index 3"));
  }
  SUBCASE("normalisation of the wrong length") {
    edit(good, [](H5::H5File& h5) {
      h5.removeAttr("input_normalization_std");
      const hsize_t n = 2;
      const double std2[2] = {0.2, 0.2};
      h5.createAttribute("input_normalization_std", H5::PredType::IEEE_F64LE, H5::DataSpace(1, &n))
          .write(H5::PredType::NATIVE_DOUBLE, std2);
    });
    CHECK(error_of([&] {
            load_weights_hdf5(good, net);
          }).find("input_normalization_std: has 2 values, expected one per input channel (3)") !=
          std::string::npos);
  }
  SUBCASE("a recorded BatchNorm epsilon must be the network's") {
    const auto set_eps = [&](double eps) {
      edit(good, [eps](H5::H5File& h5) {
        if (h5.attrExists("bn_eps")) h5.removeAttr("bn_eps");
        h5.createAttribute("bn_eps", H5::PredType::IEEE_F64LE, H5::DataSpace(H5S_SCALAR))
            .write(H5::PredType::NATIVE_DOUBLE, &eps);
      });
    };
    set_eps(1e-5);  // PyTorch's default, as its exports record it
    CHECK_NOTHROW(load_weights_hdf5(good, net));
    set_eps(1e-3);
    CHECK(error_of([&] { load_weights_hdf5(good, net); }).find("bn_eps: 0.001, but") !=
          std::string::npos);
  }
  SUBCASE("the training Cutout is read back, and must be a whole number of pixels in 0..32") {
    CHECK(load_weights_hdf5(good, net).training_cutout == 0);  // absent
    save_weights_hdf5(good, net, kImageNet, nullptr, 16);
    CHECK(load_weights_hdf5(good, net).training_cutout == 16);
    for (const double bad : {33.0, -1.0, 2.5}) {
      edit(good, [bad](H5::H5File& h5) {
        h5.removeAttr("training_cutout");
        h5.createAttribute("training_cutout", H5::PredType::IEEE_F64LE, H5::DataSpace(H5S_SCALAR))
            .write(H5::PredType::NATIVE_DOUBLE, &bad);
      });
      CHECK(error_of([&] { load_weights_hdf5(good, net); })
                .find("training_cutout: must be a whole number of pixels in 0..32") !=
            std::string::npos);
    }
  }
  SUBCASE("attributes of the wrong kind are named with what they hold") {
    edit(good, [](H5::H5File& h5) {
      const H5::StrType text(H5::PredType::C_S1, 4);
      h5.createAttribute("bn_eps", text, H5::DataSpace(H5S_SCALAR)).write(text, "1e-5");
    });
    CHECK(error_of([&] {
            load_weights_hdf5(good, net);
          }).ends_with("bn_eps: expected a number, got string"));
    edit(good, [](H5::H5File& h5) {
      h5.removeAttr("bn_eps");
      const hsize_t n = 2;
      const double eps[2] = {1e-5, 1e-5};
      h5.createAttribute("bn_eps", H5::PredType::IEEE_F64LE, H5::DataSpace(1, &n))
          .write(H5::PredType::NATIVE_DOUBLE, eps);
    });
    CHECK(error_of([&] {
            load_weights_hdf5(good, net);
          }).ends_with("bn_eps: expected a single value, got 2 values"));
    edit(good, [](H5::H5File& h5) {
      h5.removeAttr("bn_eps");
      h5.removeAttr("input_normalization_mean");
      const H5::StrType text(H5::PredType::C_S1, 3);
      h5.createAttribute("input_normalization_mean", text, H5::DataSpace(H5S_SCALAR))
          .write(text, "0.5");
    });
    CHECK(error_of([&] {
            load_weights_hdf5(good, net);
          }).ends_with("input_normalization_mean: expected numbers, got string"));
  }
  SUBCASE("missing file, directory, not HDF5") {
    CHECK(error_of([&] { load_weights_hdf5(dir / "none.h5", net); }) ==
          (dir / "none.h5").string() + ": no such file");
    std::ofstream(dir / "text.h5") << "not hdf5\n";
    CHECK(error_of([&] { load_weights_hdf5(dir / "text.h5", net); }) ==
          (dir / "text.h5").string() + ": not an HDF5 file");
    CHECK(error_of([&] { load_weights_hdf5(dir / "", net); }).find("is a directory") !=
          std::string::npos);
  }
}

}  // namespace
}  // namespace pcmkit::nn
