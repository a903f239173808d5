#include "pcmkit/measurement/campaign.h"

#include <charconv>
#include <cmath>
#include <string>

#include "pcmkit/core/error.h"

namespace pcmkit::measurement {
namespace {

// Shortest text that reads back as the same double: "12", "0.1", "1e+06", "nan".
std::string num(double value) {
  char buf[32];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, r.ptr);
}

// Built with += rather than "[" + ...: GCC 12 reports a false -Wrestrict on the latter.
std::string brackets(Eigen::Index a, Eigen::Index b) {
  std::string text = "[";
  text += std::to_string(a);
  text += ", ";
  text += std::to_string(b);
  text += "]";
  return text;
}

std::string at(Eigen::Index i) { return "index " + std::to_string(i); }

// Throws the first violation as InputError{source, field, problem}.
class Checker {
 public:
  explicit Checker(const std::string& source) : source_(source) {}

  [[noreturn]] void fail(const std::string& field, const std::string& problem) const {
    throw InputError(source_, field, problem);
  }

  // A scalar that must be finite and > 0.
  void positive(const std::string& field, double value, const char* unit) const {
    if (!std::isfinite(value)) fail(field, "not finite (" + num(value) + ")");
    if (value <= 0.0) fail(field, "must be > 0, got " + num(value) + unit);
  }

  // Conductances: NaN (missing read) allowed, infinite values not, negative ones when asked.
  void conductances(const std::string& field,
                    const RowMatrixXd& g_uS,
                    Campaign::Reads reads) const {
    for (Eigen::Index i = 0; i < g_uS.rows(); ++i) {
      for (Eigen::Index j = 0; j < g_uS.cols(); ++j) {
        const double g = g_uS(i, j);
        if (std::isinf(g)) fail(field, "infinite at " + brackets(i, j));
        if (g < 0.0 && reads == Campaign::Reads::kNonNegative)
          fail(field, "negative at " + brackets(i, j) + " (" + num(g) +
                          " uS; without --strict such reads count as 0)");
      }
    }
  }

  // One row of times: finite, > 0 and strictly increasing. `row` < 0 means a [T] array.
  void times(const std::string& field, const double* t_s, Eigen::Index n, Eigen::Index row) const {
    for (Eigen::Index j = 0; j < n; ++j) {
      const std::string where = row < 0 ? at(j) : brackets(row, j);
      if (!std::isfinite(t_s[j])) fail(field, "not finite at " + where + " (" + num(t_s[j]) + ")");
      if (t_s[j] <= 0.0) fail(field, "must be > 0, got " + num(t_s[j]) + " s at " + where);
      if (j > 0 && !(t_s[j] > t_s[j - 1]))
        fail(field, "not increasing at " + where + " (" + num(t_s[j]) + " s after " +
                        num(t_s[j - 1]) + " s)");
    }
  }

 private:
  const std::string& source_;
};

void validate_noise(const Checker& check,
                    const NoiseTraces& noise,
                    Eigen::Index num_devices,
                    Campaign::Reads reads) {
  const Eigen::Index m = noise.device_index.size();
  if (m == 0) check.fail("/noise/device_index", "empty (M = 0) although /noise exists");
  for (Eigen::Index k = 0; k < m; ++k) {
    const std::int64_t i = noise.device_index(k);
    if (i < 0 || i >= num_devices)
      check.fail("/noise/device_index", "out of range [0, N = " + std::to_string(num_devices) +
                                            ") at " + at(k) + " (" + std::to_string(i) + ")");
  }
  if (noise.t_start_s.size() != m)
    check.fail("/noise/t_start_s", "length " + std::to_string(noise.t_start_s.size()) +
                                       ", expected M = " + std::to_string(m));
  for (Eigen::Index k = 0; k < m; ++k) {
    const double t = noise.t_start_s(k);
    if (!std::isfinite(t)) check.fail("/noise/t_start_s", "not finite at " + at(k));
    if (t <= 0.0) check.fail("/noise/t_start_s", "must be > 0, got " + num(t) + " s at " + at(k));
  }
  check.positive("/noise/dt_s", noise.dt_s, " s");
  if (noise.g_uS.rows() != m || noise.g_uS.cols() < 2)
    check.fail("/noise/g_uS", "shape " + brackets(noise.g_uS.rows(), noise.g_uS.cols()) +
                                  ", expected [M, R] with M = " + std::to_string(m) + ", R >= 2");
  check.conductances("/noise/g_uS", noise.g_uS, reads);
}

}  // namespace

void Campaign::validate(const std::string& source, Reads reads) const {
  const Checker check(source);
  check.positive("g_max_uS", g_max_uS, " uS");
  check.positive("t_read_s", t_read_s, " s");
  if (temperature_K) check.positive("temperature_K", *temperature_K, " K");

  const Eigen::Index n = num_devices();
  if (n == 0) check.fail("/devices/g_target_uS", "empty (N = 0)");
  for (Eigen::Index i = 0; i < n; ++i) {
    const double g = g_target_uS(i);
    if (!std::isfinite(g))
      check.fail("/devices/g_target_uS", "not finite at " + at(i) + " (" + num(g) + ")");
    if (g < 0.0)
      check.fail("/devices/g_target_uS", "negative at " + at(i) + " (" + num(g) + " uS)");
  }
  if (!converged.empty() && static_cast<Eigen::Index>(converged.size()) != n)
    check.fail("/devices/converged", "length " + std::to_string(converged.size()) +
                                         ", expected N = " + std::to_string(n));

  // The time axis defines T; the reads must match it.
  const Eigen::Index t = time_s.cols();
  if (time_s.rows() != 1 && time_s.rows() != n)
    check.fail("/reads/time_s", "shape " + brackets(time_s.rows(), t) +
                                    ", expected [T] or [N, T] with N = " + std::to_string(n));
  if (t == 0) check.fail("/reads/time_s", "empty (T = 0)");
  for (Eigen::Index i = 0; i < time_s.rows(); ++i)
    check.times("/reads/time_s", time_s.row(i).data(), t, shared_times() ? -1 : i);
  if (g_uS.rows() != n || g_uS.cols() != t)
    check.fail("/reads/g_uS", "shape " + brackets(g_uS.rows(), g_uS.cols()) +
                                  ", expected [N, T] = " + brackets(n, t));
  check.conductances("/reads/g_uS", g_uS, reads);

  if (noise) validate_noise(check, *noise, n, reads);
}

Eigen::Index Campaign::num_negative_reads() const { return (g_uS.array() < 0.0).count(); }

double Campaign::min_read_uS() const {
  double lowest = 0.0;
  for (Eigen::Index i = 0; i < g_uS.size(); ++i)
    if (g_uS.data()[i] < lowest) lowest = g_uS.data()[i];
  return lowest;
}

}  // namespace pcmkit::measurement
