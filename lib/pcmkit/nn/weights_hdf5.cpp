#include "pcmkit/nn/weights_hdf5.h"

#include <H5Cpp.h>

#include <cmath>
#include <map>
#include <new>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "pcmkit/core/atomic_file.h"
#include "pcmkit/core/detail/hdf5_errors.h"
#include "pcmkit/core/detail/hdf5_memory_file.h"
#include "pcmkit/core/detail/hdf5_reader.h"
#include "pcmkit/core/detail/isolated_call.h"
#include "pcmkit/core/error.h"
#include "pcmkit/nn/batch_norm2d.h"

namespace pcmkit::nn {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMeanAttribute = "input_normalization_mean";
constexpr const char* kStdAttribute = "input_normalization_std";
constexpr const char* kCutoutAttribute = "training_cutout";
constexpr const char* kBatchesTracked = ".num_batches_tracked";
constexpr const char* kTrainingGroup = "training";

class WeightsReader : public Hdf5Reader {
 public:
  WeightsReader(std::string file, Network& network)
      : Hdf5Reader(std::move(file)), network_(network) {}

  WeightsFileInfo read() {
    return read_file([&] { return read_all(); });
  }

 private:
  WeightsFileInfo read_all() {
    const std::vector<ParameterRef> params = network_.parameters();

    // Every root object must be a tensor of this network (or an ignored BN counter).
    std::set<std::string> expected;
    for (const ParameterRef& p : params) expected.insert(p.name);
    H5::Group root = h5_.openGroup("/");
    const hsize_t num_objects = root.getNumObjs();
    for (hsize_t k = 0; k < num_objects; ++k) {
      const std::string name = root.getObjnameByIdx(k);
      field_ = name;
      if (expected.count(name)) continue;
      if (name == kTrainingGroup && root.childObjType(name) == H5O_TYPE_GROUP) continue;
      const std::size_t cut = name.size() - std::string(kBatchesTracked).size();
      if (name.size() > std::string(kBatchesTracked).size() &&
          name.compare(cut, std::string::npos, kBatchesTracked) == 0 &&
          expected.count(name.substr(0, cut) + ".running_var"))
        continue;
      fail(name, "unexpected tensor: not a parameter of " + network_.arch());
    }

    // Read everything before changing the network, so that an error leaves it unchanged.
    std::vector<std::vector<float>> values(params.size());
    for (std::size_t k = 0; k < params.size(); ++k) values[k] = read_tensor(params[k]);
    WeightsFileInfo info;
    info.normalization.mean = read_normalization(kMeanAttribute);
    info.normalization.std = read_normalization(kStdAttribute);
    if (info.normalization.mean.empty() != info.normalization.std.empty())
      fail(info.normalization.mean.empty() ? kMeanAttribute : kStdAttribute,
           std::string("missing, while ") +
               (info.normalization.mean.empty() ? kStdAttribute : kMeanAttribute) + " is present");
    for (std::size_t c = 0; c < info.normalization.std.size(); ++c)
      if (!(info.normalization.std[c] > 0.0f))
        fail(kStdAttribute, "must be > 0, got " + std::to_string(info.normalization.std[c]) +
                                " at index " + std::to_string(c));

    check_bn_eps();
    info.training_cutout = read_training_cutout();

    for (std::size_t k = 0; k < params.size(); ++k)
      std::copy(values[k].begin(), values[k].end(), params[k].values.begin());
    network_.refresh();
    return info;
  }

  // A file that records its BatchNorm ε (PyTorch exports do) must match the network's: BatchNorm
  // with another ε computes other outputs from the same statistics.
  void check_bn_eps() {
    const std::optional<double> recorded = number_attribute(h5_, "bn_eps", false);
    if (!recorded) return;
    const double eps = *recorded;
    for (const BatchNorm2d* bn : network_.batch_norms()) {
      const double ours = bn->eps();
      if (!(std::abs(eps - ours) <= 1e-6 * ours)) {
        std::ostringstream s;
        s << eps << ", but the BatchNorm layers of " << network_.arch() << " use " << ours;
        fail("bn_eps", s.str());
      }
    }
  }

  int read_training_cutout() {
    const std::optional<double> cutout = number_attribute(h5_, kCutoutAttribute, false);
    if (!cutout) return 0;
    if (!(*cutout >= 0 && *cutout <= 32 && std::floor(*cutout) == *cutout))
      fail(kCutoutAttribute,
           "must be a whole number of pixels in 0..32, got " + std::to_string(*cutout));
    return static_cast<int>(*cutout);
  }

  std::vector<float> read_tensor(const ParameterRef& param) {
    field_ = param.name;
    if (!h5_.nameExists(param.name)) fail(param.name, "missing tensor");
    if (h5_.childObjType(param.name) != H5O_TYPE_DATASET) fail(param.name, "not a dataset");
    H5::DataSet ds = h5_.openDataSet(param.name);
    if (ds.getTypeClass() != H5T_FLOAT) fail(param.name, "expected float values");
    const std::vector<hsize_t> dims = plausible_shape(ds);
    const std::vector<hsize_t> want(param.shape.begin(), param.shape.end());
    if (dims != want)
      fail(param.name, "shape " + shape_text(dims) + ", expected " + shape_text(want));
    std::vector<float> values(param.values.size());
    load(ds, H5::PredType::NATIVE_FLOAT, values.data(), static_cast<std::int64_t>(values.size()));
    for (std::size_t j = 0; j < values.size(); ++j)
      if (!std::isfinite(values[j])) fail(param.name, "not finite at index " + std::to_string(j));
    // A variance below zero cannot come from any data (and sqrt(var + eps) would be NaN).
    if (param.name.ends_with("running_var"))
      for (std::size_t j = 0; j < values.size(); ++j)
        if (values[j] < 0.0f)
          fail(param.name,
               "negative variance " + std::to_string(values[j]) + " at index " + std::to_string(j));
    return values;
  }

  // The attribute's values, or nothing when it is absent.
  std::vector<float> read_normalization(const char* name) {
    const std::optional<std::vector<double>> values = numbers_attribute(h5_, name);
    if (!values) return {};
    if (static_cast<Index>(values->size()) != network_.in_channels())
      fail(name, "has " + std::to_string(values->size()) +
                     " values, expected one per input channel (" +
                     std::to_string(network_.in_channels()) + ")");
    std::vector<float> out(values->begin(), values->end());
    for (std::size_t c = 0; c < out.size(); ++c)
      if (!std::isfinite(out[c])) fail(name, "not finite at index " + std::to_string(c));
    return out;
  }

  Network& network_;
};

void write_normalization(H5::H5File& file, const char* name, const std::vector<float>& values) {
  const hsize_t n = values.size();
  H5::DataSpace space(1, &n);
  H5::Attribute attribute = file.createAttribute(name, H5::PredType::IEEE_F32LE, space);
  attribute.write(H5::PredType::NATIVE_FLOAT, values.data());
}

}  // namespace

WeightsFileInfo load_weights_hdf5(const fs::path& path, Network& network) {
  H5::Exception::dontPrint();
  const std::string file = path.string();
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) throw InputError(file, "", "no such file");
  if (fs::is_directory(status)) throw InputError(file, "", "is a directory, not a file");
  // libhdf5 parses the file in a child process (a damaged file cannot crash this one); the
  // child loads its copy of the network and sends back every tensor and the normalisation.
  WeightsFileInfo info;
  run_isolated(
      [&](ByteWriter& out) {
        const WeightsFileInfo read = WeightsReader(file, network).read();
        out.array(read.normalization.mean.data(), read.normalization.mean.size());
        out.array(read.normalization.std.data(), read.normalization.std.size());
        out.value(read.training_cutout);
        for (const ParameterRef& p : network.parameters())
          out.array(p.values.data(), static_cast<std::size_t>(p.values.size()));
      },
      [&](ByteReader& in) {
        info.normalization.mean.resize(in.array_size());
        in.bytes(info.normalization.mean.data(), info.normalization.mean.size() * sizeof(float));
        info.normalization.std.resize(in.array_size());
        in.bytes(info.normalization.std.data(), info.normalization.std.size() * sizeof(float));
        info.training_cutout = in.value<int>();
        for (const ParameterRef& p : network.parameters()) {
          PCMKIT_CHECK(in.array_size() == static_cast<std::size_t>(p.values.size()),
                       "isolated weights: tensor size");
          in.bytes(p.values.data(), static_cast<std::size_t>(p.values.size()) * sizeof(float));
        }
        network.refresh();
      },
      limits_for_reading(path), path);
  return info;
}

void save_weights_hdf5(const fs::path& path,
                       Network& network,
                       const InputNormalization& normalization,
                       const TrainingGroup* training,
                       int training_cutout) {
  OutputSet outputs;
  add_weights_hdf5(outputs, path, network, normalization, training, training_cutout);
  outputs.commit();
}

void add_weights_hdf5(OutputSet& outputs,
                      const fs::path& path,
                      Network& network,
                      const InputNormalization& normalization,
                      const TrainingGroup* training,
                      int training_cutout) {
  PCMKIT_CHECK(normalization.mean.size() == normalization.std.size(),
               "save_weights_hdf5: mean and std differ in length");
  PCMKIT_CHECK(training_cutout >= 0 && training_cutout <= 32,
               "save_weights_hdf5: training_cutout outside 0..32");
  H5::Exception::dontPrint();
  outputs.add(path, [&](const fs::path& tmp) {
    write_hdf5_file(tmp, path.string(), [&](H5::H5File& file) {
      for (const ParameterRef& p : network.parameters()) {
        const std::vector<hsize_t> dims(p.shape.begin(), p.shape.end());
        H5::DataSpace space(static_cast<int>(dims.size()), dims.data());
        H5::DataSet ds = file.createDataSet(p.name, H5::PredType::IEEE_F32LE, space);
        ds.write(p.values.data(), H5::PredType::NATIVE_FLOAT);
      }
      if (!normalization.mean.empty()) {
        write_normalization(file, kMeanAttribute, normalization.mean);
        write_normalization(file, kStdAttribute, normalization.std);
      }
      H5::StrType text(H5::PredType::C_S1, network.arch().size());
      H5::Attribute arch = file.createAttribute("arch", text, H5::DataSpace(H5S_SCALAR));
      arch.write(text, network.arch());
      if (training_cutout > 0) {
        H5::Attribute cutout = file.createAttribute(kCutoutAttribute, H5::PredType::STD_I32LE,
                                                    H5::DataSpace(H5S_SCALAR));
        cutout.write(H5::PredType::NATIVE_INT, &training_cutout);
      }
      if (training) {
        H5::Group group = file.createGroup(kTrainingGroup);
        for (const auto& [name, values] : training->arrays) {
          const hsize_t n = values.size();
          H5::DataSpace space(1, &n);
          H5::DataSet ds = group.createDataSet(name, H5::PredType::IEEE_F32LE, space);
          ds.write(values.data(), H5::PredType::NATIVE_FLOAT);
        }
        H5::StrType state(H5::PredType::C_S1,
                          std::max<std::size_t>(1, training->state_json.size()));
        H5::Attribute attribute = group.createAttribute("state", state, H5::DataSpace(H5S_SCALAR));
        attribute.write(state, training->state_json);
      }
    });
  });
}

namespace {

// The checkpoint's training group: the "state" text and the 1-D float arrays beside it.
class TrainingGroupReader : public Hdf5Reader {
 public:
  using Hdf5Reader::Hdf5Reader;

  TrainingGroup read() {
    return read_file([&] { return read_all(); });
  }

 private:
  TrainingGroup read_all() {
    field_ = kTrainingGroup;
    if (!h5_.nameExists(kTrainingGroup) || h5_.childObjType(kTrainingGroup) != H5O_TYPE_GROUP)
      fail(kTrainingGroup, "missing: not a training checkpoint");
    const H5::Group group = h5_.openGroup(kTrainingGroup);
    TrainingGroup out;
    out.state_json = *string_attribute(group, "state", true);
    for (hsize_t k = 0; k < group.getNumObjs(); ++k) {
      const std::string name = group.getObjnameByIdx(k);
      field_ = std::string(kTrainingGroup) + "/" + name;
      if (group.childObjType(name) != H5O_TYPE_DATASET) fail(field_, "not a dataset");
      const H5::DataSet ds = group.openDataSet(name);
      if (ds.getTypeClass() != H5T_FLOAT) fail(field_, "expected a 1-D float dataset");
      const std::vector<hsize_t> dims = plausible_shape(ds);
      if (dims.size() != 1) fail(field_, "expected a 1-D float dataset");
      std::vector<float> values(static_cast<std::size_t>(dims[0]));
      load(ds, H5::PredType::NATIVE_FLOAT, values.data(), static_cast<std::int64_t>(values.size()));
      out.arrays.emplace_back(name, std::move(values));
    }
    return out;
  }
};

TrainingGroup read_training_group(const fs::path& path) {
  H5::Exception::dontPrint();
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw InputError(path.string(), "", "no such file");
  return TrainingGroupReader(path.string()).read();
}

}  // namespace

TrainingGroup load_training_group(const fs::path& path) {
  TrainingGroup group;
  run_isolated(
      [&](ByteWriter& out) {
        const TrainingGroup read = read_training_group(path);
        out.text(read.state_json);
        out.value<std::uint64_t>(read.arrays.size());
        for (const auto& [name, values] : read.arrays) {
          out.text(name);
          out.array(values.data(), values.size());
        }
      },
      [&](ByteReader& in) {
        group.state_json = in.text();
        group.arrays.resize(in.value<std::uint64_t>());
        for (auto& [name, values] : group.arrays) {
          name = in.text();
          values.resize(in.array_size());
          in.bytes(values.data(), values.size() * sizeof(float));
        }
      },
      limits_for_reading(path), path);
  return group;
}

}  // namespace pcmkit::nn
