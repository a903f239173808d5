#include "pcmkit/core/file_digest.h"

#include <openssl/evp.h>

#include <array>
#include <fstream>
#include <memory>

#include "pcmkit/core/error.h"

namespace pcmkit {
namespace {

std::string hex_digest(const unsigned char* digest, unsigned int length) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

}  // namespace

std::string sha256_of_text(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  PCMKIT_CHECK(EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) == 1,
               "EVP digest");
  return hex_digest(digest, length);
}

std::string sha256_of_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string(), "", "cannot open for hashing");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  PCMKIT_CHECK(ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1, "EVP init");
  std::array<char, 1 << 16> buffer;
  while (in) {
    in.read(buffer.data(), buffer.size());
    if (in.gcount() > 0)
      PCMKIT_CHECK(
          EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<std::size_t>(in.gcount())) == 1,
          "EVP update");
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  PCMKIT_CHECK(EVP_DigestFinal_ex(ctx.get(), digest, &length) == 1, "EVP final");
  return hex_digest(digest, length);
}

}  // namespace pcmkit
