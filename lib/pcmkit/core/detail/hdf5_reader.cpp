#include "pcmkit/core/detail/hdf5_reader.h"

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <limits>
#include <system_error>

#include "pcmkit/core/detail/hdf5_filters.h"
#include "pcmkit/core/error.h"

namespace pcmkit {

std::string shape_text(const std::vector<hsize_t>& dims) {
  if (dims.empty()) return "scalar";
  std::string text = "[";
  for (std::size_t k = 0; k < dims.size(); ++k) text += (k ? ", " : "") + std::to_string(dims[k]);
  return text + "]";
}

std::string type_class_name(H5T_class_t type_class) {
  switch (type_class) {
    case H5T_INTEGER:
      return "integer";
    case H5T_FLOAT:
      return "float";
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    case H5T_ENUM:
      return "enum";
    case H5T_ARRAY:
      return "array";
    case H5T_VLEN:
      return "variable-length sequence";
    case H5T_REFERENCE:
      return "reference";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_BITFIELD:
      return "bitfield";
    case H5T_TIME:
      return "time";
    default:
      return "unknown";
  }
}

void Hdf5Reader::open() {
  field_.clear();
  if (!H5::H5File::isHdf5(file_)) fail("", "not an HDF5 file");
  std::error_code ec;
  file_bytes_ = std::filesystem::file_size(file_, ec);
  if (ec) fail("", "cannot be read (" + ec.message() + ")");
  h5_ = H5::H5File(file_, H5F_ACC_RDONLY);
}

void Hdf5Reader::fail(const std::string& field, const std::string& problem) const {
  throw InputError(file_, field, problem);
}

bool Hdf5Reader::open_attribute(const H5::H5Object& object,
                                const std::string& name,
                                bool required) {
  const std::string path = object.getObjName();  // "/" or "/group"
  field_ = path == "/" ? name : path.substr(path.front() == '/' ? 1 : 0) + "/" + name;
  if (object.attrExists(name)) return true;
  if (required) fail(field_, "missing");
  return false;
}

void Hdf5Reader::check_attribute_size(const H5::Attribute& attr, std::uint64_t count) const {
  const std::uint64_t value_bytes = attr.getDataType().getSize();  // variable-length: a handle
  if (value_bytes != 0 && count > file_bytes_ / value_bytes)
    fail(field_, "declares " + std::to_string(count) + " value(s) of " +
                     std::to_string(value_bytes) + " bytes in a file of " +
                     std::to_string(file_bytes_) + " bytes");
}

H5::Attribute Hdf5Reader::single_value_attribute(const H5::H5Object& object,
                                                 const std::string& name,
                                                 bool string) {
  H5::Attribute attr = object.openAttribute(name);
  const H5T_class_t type_class = attr.getTypeClass();
  const bool ok =
      string ? type_class == H5T_STRING : type_class == H5T_FLOAT || type_class == H5T_INTEGER;
  if (!ok)
    fail(field_, std::string("expected a ") + (string ? "string" : "number") + ", got " +
                     type_class_name(type_class));
  const H5::DataSpace space = attr.getSpace();
  const bool null = space.getSimpleExtentType() == H5S_NULL;
  if (null || space.getSimpleExtentNpoints() != 1)
    fail(field_, "expected a single value, got " +
                     std::to_string(null ? 0 : space.getSimpleExtentNpoints()) + " values");
  check_attribute_size(attr, 1);
  return attr;
}

std::optional<std::string> Hdf5Reader::string_attribute(const H5::H5Object& object,
                                                        const std::string& name,
                                                        bool required) {
  if (!open_attribute(object, name, required)) return std::nullopt;
  const H5::Attribute attr = single_value_attribute(object, name, true);
  const H5::StrType type = attr.getStrType();
  if (type.isVariableStr()) {
    // Not Attribute::read(type, std::string&): it crashes on a null string, which is legal.
    char* text = nullptr;
    attr.read(type, &text);
    std::string value = text != nullptr ? text : "";
    H5free_memory(text);
    return value;
  }
  std::string value(type.getSize(), '\0');
  attr.read(type, value.data());
  value.resize(value.find('\0') == std::string::npos ? value.size() : value.find('\0'));
  while (!value.empty() && value.back() == ' ') value.pop_back();
  return value;
}

std::optional<double> Hdf5Reader::number_attribute(const H5::H5Object& object,
                                                   const std::string& name,
                                                   bool required) {
  if (!open_attribute(object, name, required)) return std::nullopt;
  double value = 0.0;
  single_value_attribute(object, name, false).read(H5::PredType::NATIVE_DOUBLE, &value);
  return value;
}

std::optional<std::vector<double>> Hdf5Reader::numbers_attribute(const H5::H5Object& object,
                                                                 const std::string& name) {
  if (!open_attribute(object, name, false)) return std::nullopt;
  const H5::Attribute attr = object.openAttribute(name);
  const H5T_class_t type_class = attr.getTypeClass();
  if (type_class != H5T_FLOAT && type_class != H5T_INTEGER)
    fail(field_, "expected numbers, got " + type_class_name(type_class));
  const H5::DataSpace space = attr.getSpace();
  if (space.getSimpleExtentType() == H5S_NULL) return std::vector<double>{};
  const auto count = static_cast<std::uint64_t>(space.getSimpleExtentNpoints());
  check_attribute_size(attr, count);
  std::vector<double> values(count);
  if (!values.empty()) attr.read(H5::PredType::NATIVE_DOUBLE, values.data());
  return values;
}

std::vector<hsize_t> Hdf5Reader::plausible_shape(const H5::DataSet& ds) const {
  constexpr hsize_t kMaxElements = std::numeric_limits<std::ptrdiff_t>::max() / 8;
  constexpr hsize_t kFreeElements = hsize_t{1} << 20;  // any shape up to 8 MiB of doubles
  constexpr hsize_t kMaxCompression = 2048;            // elements per stored byte (deflate ~1032)
  const H5::DataSpace space = ds.getSpace();
  if (space.getSimpleExtentType() == H5S_NULL) fail(field_, "holds no data (null dataspace)");
  std::vector<hsize_t> dims(static_cast<std::size_t>(space.getSimpleExtentNdims()));
  space.getSimpleExtentDims(dims.data());
  hsize_t total = 1;
  for (hsize_t d : dims) {
    if (d != 0 && total > kMaxElements / d) fail(field_, "too large (" + shape_text(dims) + ")");
    total *= d;
  }
  // Numbers are at most 16 bytes (a damaged type can claim gigabytes per value, which libhdf5
  // allocates for the conversion before reading anything).
  const H5::DataType type = ds.getDataType();
  const H5T_class_t type_class = type.getClass();
  const hsize_t value_bytes = type.getSize();
  if ((type_class == H5T_FLOAT || type_class == H5T_INTEGER || type_class == H5T_ENUM) &&
      value_bytes > 16)
    fail(field_, type_class_name(type_class) + " values of " + std::to_string(value_bytes) +
                     " bytes each (a damaged type)");
  if (total <= kFreeElements) return dims;
  // Uncompressed values are all in the file; compressed ones at most kMaxCompression per byte.
  const bool filtered = ds.getCreatePlist().getNfilters() > 0;
  const hsize_t stored_bytes = std::min<hsize_t>(ds.getStorageSize(), file_bytes_);
  if (filtered ? total / kMaxCompression > stored_bytes
               : value_bytes != 0 && total > file_bytes_ / value_bytes)
    fail(field_, "shape " + shape_text(dims) + " but only " + std::to_string(stored_bytes) +
                     " bytes stored");
  return dims;
}

void Hdf5Reader::load(const H5::DataSet& ds,
                      const H5::PredType& type,
                      void* buffer,
                      std::int64_t num_elements) const {
  if (num_elements == 0) return;
  try {
    ds.read(buffer, type);
  } catch (const H5::Exception&) {
    // Only a failed read is blamed on a missing filter: h5py marks lzf optional, so a chunk
    // may have been stored unfiltered and be readable without it.
    const std::string filter_problem = unavailable_filter_problem(ds.getId());
    if (!filter_problem.empty()) fail(field_, filter_problem);
    throw;
  }
}

}  // namespace pcmkit
