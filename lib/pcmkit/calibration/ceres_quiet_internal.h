// Keeps Ceres (glog) from printing into our users' terminals while a fit runs: pcmkit reports
// numerical outcomes as values (fit status, "not identified"), not as log lines.
#pragma once

#include <glog/logging.h>

namespace pcmkit::calibration {

class ScopedQuietCeres {
 public:
  ScopedQuietCeres() : saved_(FLAGS_minloglevel) {
    if (!google::IsGoogleLoggingInitialized()) FLAGS_logtostderr = true;
    FLAGS_minloglevel = google::GLOG_FATAL;
  }
  ~ScopedQuietCeres() { FLAGS_minloglevel = saved_; }
  ScopedQuietCeres(const ScopedQuietCeres&) = delete;
  ScopedQuietCeres& operator=(const ScopedQuietCeres&) = delete;

 private:
  int saved_;
};

}  // namespace pcmkit::calibration
