#include "pcmkit/core/error.h"

#include <sstream>

namespace pcmkit {
namespace {

std::string join(const std::string& file, const std::string& field, const std::string& problem) {
  std::string line;
  if (!file.empty()) line += file + ": ";
  if (!field.empty()) line += field + ": ";
  line += problem;
  // One line, whatever the parts contain.
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  return line;
}

}  // namespace

InputError::InputError(std::string file, std::string field, std::string problem)
    : std::runtime_error(join(file, field, problem)),
      file_(std::move(file)),
      field_(std::move(field)),
      problem_(std::move(problem)) {}

void require_input(bool ok,
                   const std::string& source,
                   const std::string& field,
                   const std::string& problem,
                   double value) {
  if (ok) return;
  std::ostringstream s;
  s << problem << " (got " << value << ")";
  throw InputError(source, field, s.str());
}

InternalError::InternalError(const char* file, int line, const std::string& message)
    : std::logic_error(std::string("internal error (") + file + ":" + std::to_string(line) +
                       "): " + message) {}

}  // namespace pcmkit
