#include "pcmkit/core/detail/hdf5_filters.h"

#include <hdf5.h>

#include <type_traits>

namespace pcmkit {

static_assert(std::is_same_v<hid_t, std::int64_t>, "HDF5 >= 1.10: hid_t is 64-bit");

std::string unavailable_filter_problem(std::int64_t dataset_id) {
  const hid_t plist = H5Dget_create_plist(dataset_id);
  if (plist < 0) return "";
  std::string problem;
  const int num_filters = H5Pget_nfilters(plist);
  for (int k = 0; k < num_filters && problem.empty(); ++k) {
    unsigned flags = 0, config = 0;
    std::size_t num_values = 0;
    char name[256] = {};
    const H5Z_filter_t id = H5Pget_filter2(plist, static_cast<unsigned>(k), &flags, &num_values,
                                           nullptr, sizeof name, name, &config);
    if (id >= 0 && H5Zfilter_avail(id) <= 0)
      problem = std::string("compressed with the '") + (name[0] != '\0' ? name : "unnamed") +
                "' filter (HDF5 filter " + std::to_string(id) +
                "), which this HDF5 library cannot decode: write it uncompressed or with gzip";
  }
  H5Pclose(plist);
  return problem;
}

}  // namespace pcmkit
