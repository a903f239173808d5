// A PCM measurement campaign in memory: the schema "pcmkit.measurements/1" (README, "Measurement
// files") as C++ values. Units are in the names; the HDF5 dataset names are the same strings.
//
//   devices   g_target_uS [N], converged [N] (optional; 0 = programming did not converge)
//   reads     time_s [T] (same for all devices) or [N, T]; g_uS [N, T]; NaN = missing read
//   noise     (optional) device_index [M] (rows of devices), t_start_s [M], dt_s, g_uS [M, R]:
//             repeated reads, one trace per row, read i at t_start_s + i·dt_s
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pcmkit::measurement {

inline constexpr const char* kMeasurementSchema = "pcmkit.measurements/1";

using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct NoiseTraces {
  Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1> device_index;  // [M], rows of Campaign devices
  Eigen::VectorXd t_start_s;                                    // [M], time of read 0
  double dt_s = 0.0;                                            // step between reads, > 0
  RowMatrixXd g_uS;                                             // [M, R]
};

struct Campaign {
  // Root attributes.
  double g_max_uS = 0.0;  // > 0
  double t_read_s = 0.0;  // > 0
  std::optional<double> temperature_K;
  std::string description;

  Eigen::VectorXd g_target_uS;          // [N], finite, ≥ 0
  std::vector<std::uint8_t> converged;  // [N] or empty (= all converged / not recorded)
  RowMatrixXd time_s;                   // [1, T] shared by all devices, or [N, T]
  RowMatrixXd g_uS;                     // [N, T], NaN = missing
  std::optional<NoiseTraces> noise;

  Eigen::Index num_devices() const { return g_target_uS.size(); }
  Eigen::Index num_times() const { return g_uS.cols(); }
  bool shared_times() const { return time_s.rows() == 1; }
  // Read time of device i, read j.
  double time_of(Eigen::Index i, Eigen::Index j) const {
    return shared_times() ? time_s(0, j) : time_s(i, j);
  }
  bool is_converged(Eigen::Index i) const { return converged.empty() || converged[i] != 0; }

  // Checks shapes and values against the schema. `source` names the file in messages. Reads
  // below 0 (an instrument's offset on a device at or near 0) are valid data unless `reads` is
  // kNonNegative (`calibrate --strict`): the model's reads are censored at 0, and so is a
  // calibration's use of them.
  // Errors: InputError{source, "/group/dataset", problem} for the first violation: sizes that
  //   disagree, non-finite or negative targets, infinite reads (negative ones when strict),
  //   non-positive or non-increasing times, device indices out of range, dt_s ≤ 0, g_max_uS or
  //   t_read_s ≤ 0, N = 0 or T = 0.
  enum class Reads { kAnySign, kNonNegative };
  void validate(const std::string& source, Reads reads = Reads::kAnySign) const;
  // Reads (in /reads/g_uS) below 0, and the lowest read (0 when none is below 0).
  Eigen::Index num_negative_reads() const;
  double min_read_uS() const;
};

}  // namespace pcmkit::measurement
