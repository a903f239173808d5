#include "pcmkit/core/detail/hdf5_errors.h"

#include <H5Cpp.h>

#include <new>

#include "pcmkit/core/error.h"

namespace pcmkit {
namespace {

std::string innermost_reason(const H5::Exception& e) {
  std::string reason;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned, const H5E_error2_t* err, void* out) -> herr_t {
        std::string& text = *static_cast<std::string*>(out);
        if (text.empty() && err->desc != nullptr) text = err->desc;
        return 0;
      },
      &reason);
  H5Eclear2(H5E_DEFAULT);
  return reason.empty() ? e.getDetailMsg() : reason;
}

}  // namespace

void rethrow_hdf5_error_as_input(const std::string& file, const std::string& field) {
  try {
    throw;
  } catch (const H5::Exception& e) {
    throw InputError(file, field, "cannot read (" + innermost_reason(e) + ")");
  } catch (const std::bad_alloc&) {
    throw InputError(file, field, "too large to load into memory");
  }
}

void rethrow_hdf5_error_as_write_failure(const std::string& path) {
  try {
    throw;
  } catch (const H5::Exception& e) {
    throw RunError(path + ": cannot write HDF5 (" + innermost_reason(e) + ")");
  }
}

}  // namespace pcmkit
