#include "pcmkit/calibration/detail/ceres_quiet.h"

#include <glog/logging.h>

namespace pcmkit::calibration {

ScopedQuietCeres::ScopedQuietCeres() : saved_min_log_level_(FLAGS_minloglevel) {
  // Without InitGoogleLogging, glog would also print a warning about that on first use.
  if (!google::IsGoogleLoggingInitialized()) FLAGS_logtostderr = true;
  FLAGS_minloglevel = google::GLOG_FATAL;
}

ScopedQuietCeres::~ScopedQuietCeres() { FLAGS_minloglevel = saved_min_log_level_; }

}  // namespace pcmkit::calibration
