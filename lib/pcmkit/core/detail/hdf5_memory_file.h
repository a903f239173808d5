// Writing an HDF5 file so that a failed write is an error, never a crash or a corrupt file. HDF5
// reports a full disk only when the file is closed, which the C++ API does in a destructor that
// cannot throw (it prints and goes on), and the library then crashes at exit closing the file
// again. So the file is built in memory (HDF5's core driver) and its bytes written with checked
// stream writes.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

namespace H5 {
class H5File;
}

namespace pcmkit {

// Creates an empty HDF5 file in memory, calls fill(file), then writes the file's bytes to `path`
// (directly: pair with write_atomically). `name` is the file name for messages.
// Errors: RunError("<name>: cannot write HDF5 (<innermost HDF5 message>)") when fill fails in
//   HDF5; RunError("<name>: write failed (<system message>)") when the bytes cannot be written
//   (a full disk); anything else fill throws, unchanged.
// Memory: the whole file, once.
void write_hdf5_file(const std::filesystem::path& path,
                     const std::string& name,
                     const std::function<void(H5::H5File&)>& fill);

}  // namespace pcmkit
