// The measurement reader (measurement/campaign_hdf5.h) on arbitrary bytes as a campaign file.
#include "fuzz/fuzz_target.h"
#include "pcmkit/measurement/campaign_hdf5.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pcmkit;
  const auto file = fuzz::fresh_scratch_dir() / "campaign.h5";
  fuzz::write_bytes(file, data, size);
  fuzz::expect_success_or_input_error([&] {
    const auto campaign = measurement::read_campaign(file);
    fuzz::require(campaign.num_devices() > 0, "an accepted campaign has devices");
  });
  return 0;
}
