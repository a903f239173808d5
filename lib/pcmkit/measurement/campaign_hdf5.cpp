#include "pcmkit/measurement/campaign_hdf5.h"

#include <H5Cpp.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <new>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "pcmkit/core/atomic_file.h"
#include "pcmkit/core/detail/hdf5_errors.h"
#include "pcmkit/core/detail/hdf5_memory_file.h"
#include "pcmkit/core/detail/hdf5_reader.h"
#include "pcmkit/core/detail/isolated_call.h"
#include "pcmkit/core/error.h"

namespace pcmkit::measurement {
namespace {

namespace fs = std::filesystem;

using Dims = std::vector<hsize_t>;

enum class Kind { kReal, kInteger };

// Reads one campaign file; field_ names what is being read, so that an H5::Exception anywhere
// becomes InputError{file, field, reason}.
class CampaignReader : public Hdf5Reader {
 public:
  using Hdf5Reader::Hdf5Reader;

  Campaign read() {
    return read_file([&] { return read_all(); });
  }

 private:
  Campaign read_all() {
    Campaign c;
    const std::string schema = *string_attribute(h5_, "schema", true);
    if (schema != kMeasurementSchema)
      fail("schema",
           "expected \"" + std::string(kMeasurementSchema) + "\", got \"" + schema + "\"");
    c.g_max_uS = *number_attribute(h5_, "g_max_uS", true);
    c.t_read_s = *number_attribute(h5_, "t_read_s", true);
    c.temperature_K = number_attribute(h5_, "temperature_K", false);
    c.description = string_attribute(h5_, "description", false).value_or("");

    H5::DataSet ds = dataset("/devices/g_target_uS", Kind::kReal);
    Dims dims = ranked(ds, {1}, "[N]");
    c.g_target_uS.resize(index(dims[0]));
    load(ds, H5::PredType::NATIVE_DOUBLE, c.g_target_uS.data(), c.g_target_uS.size());

    if (exists("/devices/converged")) {
      ds = dataset("/devices/converged", Kind::kInteger);
      dims = ranked(ds, {1}, "[N]");
      // Read wide, so that 2, 256 or -1 are seen as they are (not wrapped or clipped to 0/1).
      std::vector<std::int64_t> flags(dims[0]);
      load(ds, H5::PredType::NATIVE_INT64, flags.data(), index(dims[0]));
      c.converged.resize(dims[0]);
      for (std::size_t i = 0; i < flags.size(); ++i) {
        if (flags[i] != 0 && flags[i] != 1)
          fail("/devices/converged", "value " + std::to_string(flags[i]) + " at index " +
                                         std::to_string(i) + ": expected 0 or 1");
        c.converged[i] = static_cast<std::uint8_t>(flags[i]);
      }
    }

    ds = dataset("/reads/time_s", Kind::kReal);
    dims = ranked(ds, {1, 2}, "[T] or [N, T]");
    c.time_s.resize(dims.size() == 1 ? 1 : index(dims[0]), index(dims.back()));
    load(ds, H5::PredType::NATIVE_DOUBLE, c.time_s.data(), c.time_s.size());

    ds = dataset("/reads/g_uS", Kind::kReal);
    dims = ranked(ds, {2}, "[N, T]");
    c.g_uS.resize(index(dims[0]), index(dims[1]));
    load(ds, H5::PredType::NATIVE_DOUBLE, c.g_uS.data(), c.g_uS.size());

    if (exists("/noise") && !empty_group("/noise")) c.noise = read_noise();  // empty: no traces
    return c;
  }

  bool empty_group(const std::string& path) {
    if (h5_.childObjType(path) != H5O_TYPE_GROUP) return false;
    return h5_.openGroup(path).getNumObjs() == 0;
  }

  NoiseTraces read_noise() {
    field_ = "/noise";
    if (h5_.childObjType("/noise") != H5O_TYPE_GROUP) fail("/noise", "not a group");
    NoiseTraces noise;

    H5::DataSet ds = dataset("/noise/device_index", Kind::kInteger);
    Dims dims = ranked(ds, {1}, "[M]");
    noise.device_index.resize(index(dims[0]));
    load(ds, H5::PredType::NATIVE_INT64, noise.device_index.data(), noise.device_index.size());

    ds = dataset("/noise/t_start_s", Kind::kReal);
    dims = ranked(ds, {1}, "[M]");
    noise.t_start_s.resize(index(dims[0]));
    load(ds, H5::PredType::NATIVE_DOUBLE, noise.t_start_s.data(), noise.t_start_s.size());

    ds = dataset("/noise/dt_s", Kind::kReal);
    dims = ranked(ds, {0, 1}, "scalar");
    if (dims.size() == 1 && dims[0] != 1)
      fail("/noise/dt_s", "expected a scalar, got " + shape_text(dims));
    load(ds, H5::PredType::NATIVE_DOUBLE, &noise.dt_s, 1);

    ds = dataset("/noise/g_uS", Kind::kReal);
    dims = ranked(ds, {2}, "[M, R]");
    noise.g_uS.resize(index(dims[0]), index(dims[1]));
    load(ds, H5::PredType::NATIVE_DOUBLE, noise.g_uS.data(), noise.g_uS.size());
    return noise;
  }

  // True when every link along the absolute `path` exists (H5Lexists needs the parents first).
  // A parent that is not a group (e.g. /reads written as a dataset) is an input error.
  bool exists(const std::string& path) {
    field_ = path;
    for (std::size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
      const std::string part = path.substr(0, end);
      if (!h5_.nameExists(part)) return false;
      if (end == std::string::npos) return true;
      if (H5Oexists_by_name(h5_.getId(), part.c_str(), H5P_DEFAULT) <= 0 ||
          h5_.childObjType(part) != H5O_TYPE_GROUP)
        fail(part, "not a group (the schema's " + part + " holds datasets)");
    }
  }

  H5::DataSet dataset(const std::string& path, Kind kind) {
    if (!exists(path)) fail(path, "missing");
    if (H5Oexists_by_name(h5_.getId(), path.c_str(), H5P_DEFAULT) <= 0)
      fail(path, "a link to nothing (a soft or external link whose target is missing)");
    if (h5_.childObjType(path) != H5O_TYPE_DATASET) fail(path, "not a dataset");
    H5::DataSet ds = h5_.openDataSet(path);
    const H5T_class_t type_class = ds.getTypeClass();
    // Numbers convert to the in-memory type on reading; HDF5 also converts enums (h5py's bool).
    const bool ok = type_class == H5T_INTEGER || (kind == Kind::kReal && type_class == H5T_FLOAT) ||
                    (kind == Kind::kInteger && type_class == H5T_ENUM);
    if (!ok)
      fail(path, std::string("expected ") + (kind == Kind::kReal ? "numbers" : "integers") +
                     ", got " + type_class_name(type_class));
    return ds;
  }

  // The dataset's shape (plausible_shape), which must have one of `ranks`; `expected` describes
  // them.
  Dims ranked(const H5::DataSet& ds, std::initializer_list<int> ranks, const char* expected) {
    const Dims dims = plausible_shape(ds);
    bool ok = false;
    for (int rank : ranks) ok = ok || static_cast<std::size_t>(rank) == dims.size();
    if (!ok) fail(field_, std::string("expected shape ") + expected + ", got " + shape_text(dims));
    return dims;
  }

  static Eigen::Index index(hsize_t size) { return static_cast<Eigen::Index>(size); }
};

// Object creation without time stamps, so that the same campaign gives the same file bytes.
H5::DSetCreatPropList untimed_dataset() {
  H5::DSetCreatPropList dcpl;
  H5Pset_obj_track_times(dcpl.getId(), false);
  return dcpl;
}

void create_group(const H5::H5File& file, const char* name) {
  H5::PropList gcpl(H5P_GROUP_CREATE);
  H5Pset_obj_track_times(gcpl.getId(), false);
  const hid_t group = H5Gcreate2(file.getId(), name, H5P_DEFAULT, gcpl.getId(), H5P_DEFAULT);
  if (group < 0) throw H5::GroupIException("create_group", std::string("cannot create ") + name);
  H5Gclose(group);
}

// Writes `data` (row-major, dims elements) as a contiguous dataset of `file_type`.
void write_dataset(const H5::H5File& file,
                   const char* name,
                   const H5::PredType& file_type,
                   const H5::PredType& memory_type,
                   const Dims& dims,
                   const void* data) {
  const H5::DataSpace space = dims.empty()
                                  ? H5::DataSpace(H5S_SCALAR)
                                  : H5::DataSpace(static_cast<int>(dims.size()), dims.data());
  const H5::DataSet ds = file.createDataSet(name, file_type, space, untimed_dataset());
  ds.write(data, memory_type);
}

void write_real_attribute(const H5::H5File& file, const char* name, double value) {
  const H5::Attribute attr =
      file.createAttribute(name, H5::PredType::IEEE_F64LE, H5::DataSpace(H5S_SCALAR));
  attr.write(H5::PredType::NATIVE_DOUBLE, &value);
}

void write_string_attribute(const H5::H5File& file, const char* name, const std::string& value) {
  H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
  type.setCset(H5T_CSET_UTF8);
  const H5::Attribute attr = file.createAttribute(name, type, H5::DataSpace(H5S_SCALAR));
  attr.write(type, value);
}

void write_hdf5(const Campaign& c, const H5::H5File& file) {
  write_string_attribute(file, "schema", kMeasurementSchema);
  write_real_attribute(file, "g_max_uS", c.g_max_uS);
  write_real_attribute(file, "t_read_s", c.t_read_s);
  if (c.temperature_K) write_real_attribute(file, "temperature_K", *c.temperature_K);
  if (!c.description.empty()) write_string_attribute(file, "description", c.description);

  const hsize_t n = static_cast<hsize_t>(c.num_devices());
  const hsize_t t = static_cast<hsize_t>(c.num_times());
  const H5::PredType& f64 = H5::PredType::IEEE_F64LE;
  const H5::PredType& real = H5::PredType::NATIVE_DOUBLE;
  create_group(file, "/devices");
  write_dataset(file, "/devices/g_target_uS", f64, real, {n}, c.g_target_uS.data());
  if (!c.converged.empty())
    write_dataset(file, "/devices/converged", H5::PredType::STD_U8LE, H5::PredType::NATIVE_UINT8,
                  {n}, c.converged.data());
  create_group(file, "/reads");
  const Dims time_dims = c.shared_times() ? Dims{t} : Dims{n, t};
  write_dataset(file, "/reads/time_s", f64, real, time_dims, c.time_s.data());
  write_dataset(file, "/reads/g_uS", f64, real, {n, t}, c.g_uS.data());

  if (c.noise) {
    const NoiseTraces& noise = *c.noise;
    const hsize_t m = static_cast<hsize_t>(noise.g_uS.rows());
    const hsize_t r = static_cast<hsize_t>(noise.g_uS.cols());
    create_group(file, "/noise");
    write_dataset(file, "/noise/device_index", H5::PredType::STD_I64LE, H5::PredType::NATIVE_INT64,
                  {m}, noise.device_index.data());
    write_dataset(file, "/noise/t_start_s", f64, real, {m}, noise.t_start_s.data());
    write_dataset(file, "/noise/dt_s", f64, real, {}, &noise.dt_s);
    write_dataset(file, "/noise/g_uS", f64, real, {m, r}, noise.g_uS.data());
  }
}

}  // namespace

namespace {

// The campaign across the process boundary of run_isolated.
template <typename Matrix>
void put(ByteWriter& w, const Matrix& m) {
  w.value<std::int64_t>(m.rows());
  w.value<std::int64_t>(m.cols());
  w.bytes(m.data(), sizeof(*m.data()) * static_cast<std::size_t>(m.size()));
}

template <typename Matrix>
void get(ByteReader& r, Matrix& m) {
  const auto rows = r.value<std::int64_t>(), cols = r.value<std::int64_t>();
  m.resize(rows, cols);
  r.bytes(m.data(), sizeof(*m.data()) * static_cast<std::size_t>(m.size()));
}

void serialise(const Campaign& c, ByteWriter& w) {
  w.value(c.g_max_uS);
  w.value(c.t_read_s);
  w.value<std::uint8_t>(c.temperature_K.has_value());
  w.value(c.temperature_K.value_or(0.0));
  w.text(c.description);
  put(w, c.g_target_uS);
  w.array(c.converged.data(), c.converged.size());
  put(w, c.time_s);
  put(w, c.g_uS);
  w.value<std::uint8_t>(c.noise.has_value());
  if (c.noise) {
    put(w, c.noise->device_index);
    put(w, c.noise->t_start_s);
    w.value(c.noise->dt_s);
    put(w, c.noise->g_uS);
  }
}

Campaign deserialise(ByteReader& r) {
  Campaign c;
  c.g_max_uS = r.value<double>();
  c.t_read_s = r.value<double>();
  const bool has_temperature = r.value<std::uint8_t>() != 0;
  const double temperature = r.value<double>();
  if (has_temperature) c.temperature_K = temperature;
  c.description = r.text();
  get(r, c.g_target_uS);
  c.converged.resize(r.array_size());
  r.bytes(c.converged.data(), c.converged.size());
  get(r, c.time_s);
  get(r, c.g_uS);
  if (r.value<std::uint8_t>() != 0) {
    NoiseTraces noise;
    get(r, noise.device_index);
    get(r, noise.t_start_s);
    noise.dt_s = r.value<double>();
    get(r, noise.g_uS);
    c.noise = std::move(noise);
  }
  return c;
}

}  // namespace

Campaign read_campaign(const fs::path& path, Campaign::Reads reads) {
  H5::Exception::dontPrint();
  const std::string file = path.string();
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) throw InputError(file, "", "no such file");
  if (fs::is_directory(status)) throw InputError(file, "", "is a directory, not a file");
  // libhdf5 parses the file in a child process: a damaged file cannot crash this one.
  Campaign campaign;
  run_isolated([&](ByteWriter& out) { serialise(CampaignReader(file).read(), out); },
               [&](ByteReader& in) { campaign = deserialise(in); }, limits_for_reading(path), path);
  campaign.validate(file, reads);
  return campaign;
}

void write_campaign(const Campaign& campaign, const fs::path& path) {
  try {
    campaign.validate(path.string());
  } catch (const InputError& e) {
    throw InternalError(__FILE__, __LINE__, std::string("write_campaign: ") + e.what());
  }
  H5::Exception::dontPrint();
  write_atomically(path, [&](const fs::path& tmp) {
    write_hdf5_file(tmp, path.string(), [&](H5::H5File& file) { write_hdf5(campaign, file); });
  });
}

}  // namespace pcmkit::measurement
