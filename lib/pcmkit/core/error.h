// Errors that pcmkit throws. Bad input names its file, field and problem in one line; bugs name
// the source location. Numerical outcomes (a fit that did not converge) are values, not errors.
#pragma once

#include <stdexcept>
#include <string>

namespace pcmkit {

// Bad input: a file, dataset, JSON key or option the user supplied. what() is one line:
// "campaign.h5: /reads/time_s: not increasing at index 7 (12 s after 25 s)".
class InputError : public std::runtime_error {
 public:
  InputError(std::string file, std::string field, std::string problem);
  const std::string& file() const { return file_; }
  const std::string& field() const { return field_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string file_, field_, problem_;
};

// Valid input, but the run could not complete (output not writable, solver failure).
class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A broken internal invariant: a bug. what() carries file and line.
class InternalError : public std::logic_error {
 public:
  InternalError(const char* file, int line, const std::string& message);
};

// Throws InputError{source, field, "<problem> (got <value>)"} unless ok: the one-line check
// behind every Options::validate().
void require_input(bool ok,
                   const std::string& source,
                   const std::string& field,
                   const std::string& problem,
                   double value);

}  // namespace pcmkit

// Always on (unlike assert), so the CLI can clean up and report instead of aborting.
#define PCMKIT_CHECK(cond, msg)                                            \
  do {                                                                     \
    if (!(cond)) throw ::pcmkit::InternalError(__FILE__, __LINE__, (msg)); \
  } while (0)
