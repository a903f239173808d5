// HDF5 datasets compressed with a filter this HDF5 library cannot decode (h5py's lzf, Blosc,
// bitshuffle are plugins, not part of libhdf5): named before reading, since HDF5 itself reports
// only "H5Dread failed" or "can't read data".
#pragma once

#include <cstdint>
#include <string>

namespace pcmkit {

// For an open dataset (its hid_t) whose read failed, the problem to report when its filter
// pipeline names a filter that is not available: "compressed with the 'lzf' filter (HDF5 filter
// 32000), which this HDF5 library cannot decode: write it uncompressed or with gzip". "" when every
// filter is available.
std::string unavailable_filter_problem(std::int64_t dataset_id);

}  // namespace pcmkit
