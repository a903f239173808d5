// Turning HDF5 failures into pcmkit's one-line input errors, for the readers of HDF5 files
// (measurement/campaign_hdf5.cpp, nn/weights_hdf5.cpp). No HDF5 header is needed here.
#pragma once

#include <string>

namespace pcmkit {

// Call only inside a catch block: rethrows the current exception as
// InputError{file, field, "cannot read (<innermost HDF5 message>)"} when it is an H5::Exception,
// as InputError{file, field, "too large to load into memory"} when it is std::bad_alloc, and
// unchanged otherwise. The innermost message ("unable to open file", "inflate() failed") says
// more than the C++ wrapper's "H5Dread failed".
[[noreturn]] void rethrow_hdf5_error_as_input(const std::string& file, const std::string& field);

// Call only inside a catch block: rethrows an H5::Exception as
// RunError("<path>: cannot write HDF5 (<innermost message>)"), anything else unchanged.
[[noreturn]] void rethrow_hdf5_error_as_write_failure(const std::string& path);

}  // namespace pcmkit
