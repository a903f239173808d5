// What pcmkit's HDF5 readers share (measurement/campaign_hdf5.cpp, nn/weights_hdf5.cpp): the
// open file, the field being read, and checked reads that turn anything unexpected into one
// InputError{file, field, problem}. Readers run inside the isolated reader process
// (isolated_call.h): checks here cannot stop libhdf5 itself from crashing on damaged metadata.
#pragma once

#include <H5Cpp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pcmkit/core/detail/hdf5_errors.h"

namespace pcmkit {

// "[3, 4]", or "scalar" for no dimensions.
std::string shape_text(const std::vector<hsize_t>& dims);

// An HDF5 type class in words: "float", "string", "variable-length sequence" ...
std::string type_class_name(H5T_class_t type_class);

class Hdf5Reader {
 public:
  explicit Hdf5Reader(std::string file) : file_(std::move(file)) {}

  // Opens the file read-only and returns read(). Whatever read() throws leaves as InputError
  // naming the file and field_ (HDF5's errors by rethrow_hdf5_error_as_input); InputError and
  // RunError pass unchanged.
  // Errors: InputError{file, "", "not an HDF5 file"}; read()'s.
  template <class Read>
  auto read_file(Read&& read) -> decltype(read()) {
    try {
      open();
      return read();
    } catch (...) {
      rethrow_hdf5_error_as_input(file_, field_);
    }
  }

 protected:
  [[noreturn]] void fail(const std::string& field, const std::string& problem) const;

  // Attributes of `object` (the file's root, or a group), reported as the field "name" on the
  // root and "group/name" elsewhere.
  // One string (fixed or variable length, NUL- or space-padded); nullopt when absent and not
  // `required`.
  std::optional<std::string> string_attribute(const H5::H5Object& object,
                                              const std::string& name,
                                              bool required);
  // One number (integer or float); nullopt when absent and not `required`.
  std::optional<double> number_attribute(const H5::H5Object& object,
                                         const std::string& name,
                                         bool required);
  // Every value of a numeric attribute; nullopt when absent.
  std::optional<std::vector<double>> numbers_attribute(const H5::H5Object& object,
                                                       const std::string& name);
  // The dataset's dimensions, when they can be loaded: not a null dataspace, an element count
  // that fits a byte count, numbers at most 16 bytes wide, and no more elements than the file
  // can hold (uncompressed: within its size; compressed: 2048 per stored byte; up to 2²⁰ free).
  // A damaged header can claim a huge shape or type over a few stored bytes, which libhdf5
  // would allocate and clear before reading anything. Errors: InputError on field_.
  std::vector<hsize_t> plausible_shape(const H5::DataSet& ds) const;
  // Reads the whole dataset into `buffer` as `type` (nothing when num_elements is 0). A failed
  // read of a dataset compressed with a filter this libhdf5 lacks names the filter.
  void load(const H5::DataSet& ds,
            const H5::PredType& type,
            void* buffer,
            std::int64_t num_elements) const;

  const std::string file_;
  std::string field_;  // what is being read, for the error an HDF5 exception becomes
  H5::H5File h5_;
  // The file's size: attributes are stored uncompressed, so none can hold more bytes than this
  // (a damaged header can claim gigabytes, which libhdf5 would allocate and clear first).
  std::uint64_t file_bytes_ = 0;

 private:
  void open();
  // Opens `name` of `object` for reading, setting field_; false when it is absent.
  bool open_attribute(const H5::H5Object& object, const std::string& name, bool required);
  H5::Attribute single_value_attribute(const H5::H5Object& object,
                                       const std::string& name,
                                       bool string);
  // Refuses `count` values of the attribute's type that the file cannot hold (file_bytes_).
  void check_attribute_size(const H5::Attribute& attr, std::uint64_t count) const;
};

}  // namespace pcmkit
