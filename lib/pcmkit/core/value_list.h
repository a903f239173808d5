// Lists of numbers and durations as users type them on a command line:
//   "0,2.5,5"           explicit values
//   "lin:0:25:11"       11 values evenly spaced from 0 to 25
//   "log:25:1d:20"      20 values log-spaced from 25 to 86400
// Durations take an optional unit: s, min, h, d, y (365.25 d), e.g. "25", "1h", "30d", "1y".
#pragma once

#include <string>
#include <vector>

namespace pcmkit {

// The items of a list as typed, split at `separator`; empty items are kept ("a,,b" has three,
// "a," two) so that callers can refuse them; "" has none.
std::vector<std::string> split_list(const std::string& text, char separator = ',');

// A comma-separated list of integers, e.g. "100,150"; "" is the empty list.
// Errors: InputError{"", option, problem} for an item that is not a whole int.
std::vector<int> parse_integer_list(const std::string& text, const std::string& option);

// Seconds in a duration like "90", "1.5h", "30d". Errors: InputError{"", option, problem}.
double parse_duration_s(const std::string& text, const std::string& option);

// A list of plain numbers. Errors: InputError{"", option, problem}.
std::vector<double> parse_number_list(const std::string& text, const std::string& option);

// A list of durations in seconds. Errors: InputError{"", option, problem}.
std::vector<double> parse_duration_list(const std::string& text, const std::string& option);

}  // namespace pcmkit
