#include "pcmkit/core/detail/hdf5_reader.h"

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

H5::Attribute Hdf5Reader::single_value_attribute(const H5::H5Object& object,
                                                 const std::string& name,
                                                 bool string) {
  const std::string& field = field_;
  H5::Attribute attr = object.openAttribute(name);
  const H5T_class_t type_class = attr.getTypeClass();
  const bool ok =
      string ? type_class == H5T_STRING : type_class == H5T_FLOAT || type_class == H5T_INTEGER;
  if (!ok)
    fail(field, std::string("expected a ") + (string ? "string" : "number") + ", got " +
                    type_class_name(type_class));
  const H5::DataSpace space = attr.getSpace();
  const bool null = space.getSimpleExtentType() == H5S_NULL;
  if (null || space.getSimpleExtentNpoints() != 1)
    fail(field, "expected a single value, got " +
                    std::to_string(null ? 0 : space.getSimpleExtentNpoints()) + " values");
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
  const std::string& field = field_;
  const H5::Attribute attr = object.openAttribute(name);
  const H5T_class_t type_class = attr.getTypeClass();
  if (type_class != H5T_FLOAT && type_class != H5T_INTEGER)
    fail(field, "expected numbers, got " + type_class_name(type_class));
  const H5::DataSpace space = attr.getSpace();
  if (space.getSimpleExtentType() == H5S_NULL) return std::vector<double>{};
  std::vector<double> values(static_cast<std::size_t>(space.getSimpleExtentNpoints()));
  if (!values.empty()) attr.read(H5::PredType::NATIVE_DOUBLE, values.data());
  return values;
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
