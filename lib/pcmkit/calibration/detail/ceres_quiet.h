// Keeps Ceres (glog) from printing into our users' terminals while a fit runs: pcmkit reports
// numerical outcomes as values (fit status, "not identified"), not as log lines.
#pragma once

namespace pcmkit::calibration {

// Raises glog's minimum level to FATAL for its lifetime and restores it afterwards.
// Threads: changes a process-wide flag; construct it on the calling thread, outside parallel
// regions.
class ScopedQuietCeres {
 public:
  ScopedQuietCeres();
  ~ScopedQuietCeres();
  ScopedQuietCeres(const ScopedQuietCeres&) = delete;
  ScopedQuietCeres& operator=(const ScopedQuietCeres&) = delete;

 private:
  int saved_min_log_level_;
};

}  // namespace pcmkit::calibration
