#include "pcmkit/data/jpeg_decode.h"

#include <csetjmp>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <system_error>

// jpeglib.h needs FILE and size_t declared first.
#include <jerror.h>
#include <jpeglib.h>

#include "pcmkit/core/error.h"

namespace pcmkit::data {
namespace {

// PIL refuses images above this many pixels (its DecompressionBombError threshold, 2 × 89.5 M).
constexpr std::uint64_t kMaxPixels = 2ull * 89478485ull;

struct ErrorManager {
  jpeg_error_mgr pub;  // first member: libjpeg's pointer to it is a pointer to this struct
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool truncated;
};

extern "C" void on_fatal_error(j_common_ptr cinfo) {
  ErrorManager* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings (level −1) about corrupt data are ignored, as PIL does, except the end of the data
// before the image is complete: PIL reports that as a truncated file.
extern "C" void on_message(j_common_ptr cinfo, int level) {
  ErrorManager* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) err->truncated = true;
}

enum class Outcome { kOk, kError, kUnsupported, kTooLarge };

// The libjpeg calls. No object with a destructor lives in this frame, so that longjmp out of
// libjpeg back to setjmp skips nothing; `image` is only written through its pointer.
Outcome run_decoder(const std::uint8_t* data,
                    std::size_t size,
                    jpeg_decompress_struct* cinfo,
                    ErrorManager* err,
                    RgbImage* image) {
  cinfo->err = jpeg_std_error(&err->pub);
  err->pub.error_exit = on_fatal_error;
  err->pub.emit_message = on_message;
  err->truncated = false;
  err->message[0] = '\0';
  if (setjmp(err->jump)) {
    jpeg_destroy_decompress(cinfo);
    return Outcome::kError;
  }
  jpeg_create_decompress(cinfo);
  jpeg_mem_src(cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(cinfo, TRUE);
  const bool gray = cinfo->jpeg_color_space == JCS_GRAYSCALE;
  if (!gray && cinfo->jpeg_color_space != JCS_YCbCr && cinfo->jpeg_color_space != JCS_RGB) {
    jpeg_destroy_decompress(cinfo);
    return Outcome::kUnsupported;
  }
  cinfo->out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(cinfo);
  const std::uint64_t w = cinfo->output_width, h = cinfo->output_height;
  if (w * h > kMaxPixels) {
    jpeg_destroy_decompress(cinfo);
    return Outcome::kTooLarge;
  }
  image->width = static_cast<int>(w);
  image->height = static_cast<int>(h);
  image->pixels.resize(w * h * 3);
  std::uint8_t* base = image->pixels.data();
  while (cinfo->output_scanline < cinfo->output_height) {
    // Gray rows are decoded into the last third of their RGB row, then spread in place.
    std::uint8_t* row = base + cinfo->output_scanline * w * 3;
    JSAMPROW target = gray ? row + 2 * w : row;
    jpeg_read_scanlines(cinfo, &target, 1);
    if (gray)
      for (std::uint64_t x = 0; x < w; ++x) {
        const std::uint8_t v = row[2 * w + x];
        row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = v;
      }
  }
  jpeg_finish_decompress(cinfo);
  jpeg_destroy_decompress(cinfo);
  return Outcome::kOk;
}

const char* color_space_name(int space) {
  switch (space) {
    case JCS_CMYK:
      return "CMYK";
    case JCS_YCCK:
      return "YCCK";
    default:
      return "an unknown colour space";
  }
}

}  // namespace

RgbImage decode_jpeg(const std::vector<std::uint8_t>& bytes, const std::string& name) {
  if (bytes.empty()) throw InputError(name, "", "empty file (not a JPEG)");
  jpeg_decompress_struct cinfo;
  ErrorManager err;
  RgbImage image;
  switch (run_decoder(bytes.data(), bytes.size(), &cinfo, &err, &image)) {
    case Outcome::kOk:
      break;
    case Outcome::kError:
      throw InputError(name, "", std::string("cannot decode JPEG: ") + err.message);
    case Outcome::kUnsupported:
      throw InputError(name, "",
                       std::string("JPEG in ") + color_space_name(cinfo.jpeg_color_space) +
                           " is not supported (only RGB/YCbCr and grayscale)");
    case Outcome::kTooLarge:
      throw InputError(name, "",
                       "image of " + std::to_string(cinfo.output_width) + " x " +
                           std::to_string(cinfo.output_height) + " pixels is too large");
  }
  if (err.truncated) throw InputError(name, "", "JPEG data ends early (truncated file)");
  return image;
}

RgbImage decode_jpeg_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(path.string(), "",
                     std::filesystem::exists(path, ec) ? "not a regular file" : "no such file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string(), "", "cannot open for reading");
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  if (in.bad()) throw InputError(path.string(), "", "read failed");
  return decode_jpeg(bytes, path.string());
}

}  // namespace pcmkit::data
