// SHA-256 of a file, for the provenance of fitted models (which measurement file they came from).
#pragma once

#include <filesystem>
#include <string>

namespace pcmkit {

// Lower-case hex SHA-256 of the file's bytes. Errors: InputError when the file cannot be read.
std::string sha256_of_file(const std::filesystem::path& path);
// Lower-case hex SHA-256 of the bytes of `text`.
std::string sha256_of_text(const std::string& text);

}  // namespace pcmkit
