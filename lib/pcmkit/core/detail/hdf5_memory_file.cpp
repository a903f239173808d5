#include "pcmkit/core/detail/hdf5_memory_file.h"

#include <H5Cpp.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "pcmkit/core/error.h"
#include "pcmkit/core/detail/hdf5_errors.h"

namespace pcmkit {

void write_hdf5_file(const std::filesystem::path& path,
                     const std::string& name,
                     const std::function<void(H5::H5File&)>& fill) {
  H5::Exception::dontPrint();
  std::vector<char> image;
  try {
    H5::FileAccPropList access;
    // In memory only (backing_store = false): nothing touches the disk here.
    if (H5Pset_fapl_core(access.getId(), std::size_t{1} << 20, 0) < 0)
      throw RunError(name + ": cannot write HDF5 (no in-memory driver)");
    H5::H5File file(path.string(), H5F_ACC_TRUNC, H5::FileCreatPropList::DEFAULT, access);
    fill(file);
    file.flush(H5F_SCOPE_GLOBAL);
    const ssize_t size = H5Fget_file_image(file.getId(), nullptr, 0);
    if (size <= 0) throw RunError(name + ": cannot write HDF5 (no file image)");
    image.resize(static_cast<std::size_t>(size));
    if (H5Fget_file_image(file.getId(), image.data(), image.size()) != size)
      throw RunError(name + ": cannot write HDF5 (file image incomplete)");
    file.close();
  } catch (const H5::Exception&) {
    rethrow_hdf5_error_as_write_failure(name);
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw RunError(name + ": cannot open for writing (" + std::strerror(errno) + ")");
  out.write(image.data(), static_cast<std::streamsize>(image.size()));
  out.close();
  if (!out) throw RunError(name + ": write failed (" + std::strerror(errno) + ")");
}

}  // namespace pcmkit
