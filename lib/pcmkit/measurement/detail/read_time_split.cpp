#include "pcmkit/measurement/detail/read_time_split.h"

#include <cmath>
#include <sstream>
#include <vector>

#include "pcmkit/core/error.h"

namespace pcmkit::measurement {
namespace {

// `campaign` with only the read columns in `columns`, each read kept where keep(t) holds.
template <typename Keep>
Campaign with_reads(const Campaign& campaign, const std::vector<Eigen::Index>& columns, Keep keep) {
  Campaign out = campaign;
  const Eigen::Index n = campaign.num_devices();
  const auto t = static_cast<Eigen::Index>(columns.size());
  out.time_s.resize(campaign.time_s.rows(), t);
  out.g_uS.resize(n, t);
  for (Eigen::Index c = 0; c < t; ++c) {
    const Eigen::Index j = columns[static_cast<std::size_t>(c)];
    out.time_s.col(c) = campaign.time_s.col(j);
    for (Eigen::Index i = 0; i < n; ++i)
      out.g_uS(i, c) = keep(campaign.time_of(i, j)) ? campaign.g_uS(i, j) : NAN;
  }
  return out;
}

}  // namespace

ReadTimeSplit split_reads_at(const Campaign& campaign, double t_split_s) {
  const auto before = [t_split_s](double t) { return t < t_split_s; };
  const auto after = [t_split_s](double t) { return t >= t_split_s; };
  std::vector<Eigen::Index> early, late;  // columns with a read time on each side
  for (Eigen::Index j = 0; j < campaign.num_times(); ++j) {
    bool any_before = false, any_after = false;
    for (Eigen::Index r = 0; r < campaign.time_s.rows(); ++r) {
      any_before |= before(campaign.time_s(r, j));
      any_after |= after(campaign.time_s(r, j));
    }
    if (any_before) early.push_back(j);
    if (any_after) late.push_back(j);
  }
  std::ostringstream at;
  at.precision(4);
  at << t_split_s << " s leaves " << early.size() << " read time(s) before it and " << late.size()
     << " from it on";
  if (early.size() < 3)
    throw InputError("", "holdout_from_s", at.str() + ": the drift fits need 3 before it");
  if (late.empty()) throw InputError("", "holdout_from_s", at.str() + ": nothing to predict");
  ReadTimeSplit split{with_reads(campaign, early, before), with_reads(campaign, late, after)};
  split.after.noise.reset();
  return split;
}

}  // namespace pcmkit::measurement
