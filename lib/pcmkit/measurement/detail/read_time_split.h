// A campaign cut at one time after programming, to fit a model on the early reads and check what
// it predicts for the later ones (`calibrate --holdout-times`).
#pragma once

#include "pcmkit/measurement/campaign.h"

namespace pcmkit::measurement {

struct ReadTimeSplit {
  Campaign before;  // reads at t < t_split_s, and every noise trace
  Campaign after;   // reads at t ≥ t_split_s, no traces
};

// Shared read times: the columns on each side. Per-device times: every column on both sides, the
// reads on the other side set missing (NaN); columns no device reads on a side are dropped.
// Requires: campaign.validate() passed.
// Errors: InputError{"", "holdout_from_s", problem} when fewer than 3 read times lie before the
// split or none after it.
ReadTimeSplit split_reads_at(const Campaign& campaign, double t_split_s);

}  // namespace pcmkit::measurement
