// Reading and writing campaigns as HDF5 files in the schema "pcmkit.measurements/1".
#pragma once

#include <filesystem>

#include "pcmkit/measurement/campaign.h"

namespace pcmkit::measurement {

// Reads and validates a campaign file.
// Errors: InputError{path, field, problem} for a missing or unreadable file, a file that is not
//   HDF5, a wrong or missing `schema` attribute, a missing or mis-shaped dataset or attribute, a
//   wrong element type, and everything Campaign::validate rejects. Never crashes on bad files:
//   libhdf5 parses it in a child process (core/untrusted_files.h says what that asks of the
//   calling program).
Campaign read_campaign(const std::filesystem::path& path,
                       Campaign::Reads reads = Campaign::Reads::kAnySign);

// Writes the campaign atomically (temporary file, then rename).
// Requires: campaign.validate() passes (InternalError otherwise).
// Errors: RunError when the file cannot be written.
void write_campaign(const Campaign& campaign, const std::filesystem::path& path);

}  // namespace pcmkit::measurement
