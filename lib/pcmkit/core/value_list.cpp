#include "pcmkit/core/value_list.h"

#include <cmath>
#include <sstream>

#include "pcmkit/core/error.h"

namespace pcmkit {
namespace {

double parse_number(const std::string& text, const std::string& option, std::size_t* used) {
  try {
    const double v = std::stod(text, used);
    if (!std::isfinite(v)) throw std::invalid_argument("not finite");
    return v;
  } catch (const std::exception&) {
    throw InputError("", option, "'" + text + "' is not a number");
  }
}

template <typename Parse>
std::vector<double> parse_list(const std::string& text, const std::string& option, Parse parse) {
  if (text.rfind("lin:", 0) == 0 || text.rfind("log:", 0) == 0) {
    const std::vector<std::string> p = split_list(text.substr(4), ':');
    if (p.size() != 3) throw InputError("", option, "'" + text + "': expected lin:FROM:TO:COUNT");
    const double from = parse(p[0]), to = parse(p[1]);
    std::size_t used = 0;
    const double count = parse_number(p[2], option, &used);
    if (used != p[2].size() || count < 1 || count != std::floor(count) || count > 1e7)
      throw InputError("", option, "'" + p[2] + "' is not a whole count >= 1");
    const bool log = text[1] == 'o';
    if (log && !(from > 0 && to > 0))
      throw InputError("", option, "log-spaced values need FROM and TO > 0");
    std::vector<double> out;
    const int n = static_cast<int>(count);
    for (int i = 0; i < n; ++i) {
      const double f = n == 1 ? 0.0 : static_cast<double>(i) / (n - 1);
      out.push_back(log ? std::exp(std::log(from) + f * (std::log(to) - std::log(from)))
                        : from + f * (to - from));
    }
    out.front() = from;  // exact end points: exp(log(20)) is 19.999999999999996, before t0 = 20
    if (n > 1) out.back() = to;
    return out;
  }
  std::vector<double> out;
  for (const std::string& part : split_list(text)) {
    if (part.empty()) throw InputError("", option, "empty item in '" + text + "'");
    out.push_back(parse(part));
  }
  if (out.empty()) throw InputError("", option, "empty list");
  return out;
}

}  // namespace

std::vector<std::string> split_list(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream s(text);
  std::string part;
  while (std::getline(s, part, separator)) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

std::vector<int> parse_integer_list(const std::string& text, const std::string& option) {
  std::vector<int> values;
  for (const std::string& item : split_list(text)) {
    try {
      std::size_t used = 0;
      values.push_back(std::stoi(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw InputError("", option, "'" + item + "' is not an integer");
    }
  }
  return values;
}

double parse_duration_s(const std::string& text, const std::string& option) {
  std::size_t used = 0;
  const double v = parse_number(text, option, &used);
  const std::string unit = text.substr(used);
  double scale = 1;
  if (unit.empty() || unit == "s")
    scale = 1;
  else if (unit == "min")
    scale = 60;
  else if (unit == "h")
    scale = 3600;
  else if (unit == "d")
    scale = 86400;
  else if (unit == "y")
    scale = 365.25 * 86400;
  else
    throw InputError("", option, "'" + text + "': unknown time unit (use s, min, h, d or y)");
  return v * scale;
}

std::vector<double> parse_number_list(const std::string& text, const std::string& option) {
  return parse_list(text, option, [&](const std::string& s) {
    std::size_t used = 0;
    const double v = parse_number(s, option, &used);
    if (used != s.size()) throw InputError("", option, "'" + s + "' is not a number");
    return v;
  });
}

std::vector<double> parse_duration_list(const std::string& text, const std::string& option) {
  return parse_list(text, option,
                    [&](const std::string& s) { return parse_duration_s(s, option); });
}

}  // namespace pcmkit
