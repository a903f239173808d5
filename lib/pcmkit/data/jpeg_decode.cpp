#include "pcmkit/data/jpeg_decode.h"

#include <algorithm>
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

// PIL's reading of a CMYK JPEG and its convert("RGB"): the bytes are taken as Adobe's inverted
// inks (rawmode "CMYK;I": ink = 255 − byte), then Pillow's cmyk2rgb:
//   out = clip8(nk − muldiv255(ink, nk)), nk = 255 − black, muldiv255(a, b) = (t + (t >> 8)) >> 8,
//   t = a·b + 128 (a rounded a·b/255). `in` and `out` may overlap with out ≤ in.
void cmyk_to_rgb(const std::uint8_t* in, std::uint8_t* out) {
  const int black = 255 - in[3];
  const int nk = 255 - black;
  int rgb[3];
  for (int c = 0; c < 3; ++c) {
    const int t = (255 - in[c]) * nk + 128;
    rgb[c] = std::clamp(nk - ((t + (t >> 8)) >> 8), 0, 255);
  }
  for (int c = 0; c < 3; ++c) out[c] = static_cast<std::uint8_t>(rgb[c]);
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
  const J_COLOR_SPACE space = cinfo->jpeg_color_space;
  const bool gray = space == JCS_GRAYSCALE;
  const bool cmyk = space == JCS_CMYK || space == JCS_YCCK;  // libjpeg turns YCCK into CMYK
  if (!gray && !cmyk && space != JCS_YCbCr && space != JCS_RGB) {
    jpeg_destroy_decompress(cinfo);
    return Outcome::kUnsupported;
  }
  cinfo->out_color_space = gray ? JCS_GRAYSCALE : cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_start_decompress(cinfo);
  const std::uint64_t w = cinfo->output_width, h = cinfo->output_height;
  if (w * h > kMaxPixels) {
    jpeg_destroy_decompress(cinfo);
    return Outcome::kTooLarge;
  }
  image->width = static_cast<int>(w);
  image->height = static_cast<int>(h);
  // Rows are decoded at the end of an RGB row (gray) or into a 4-byte-per-pixel buffer (CMYK),
  // then turned into RGB in place, front to back (each output byte precedes its inputs).
  const std::uint64_t bytes_per_pixel = cmyk ? 4 : 3;
  image->pixels.resize(w * h * bytes_per_pixel);
  std::uint8_t* base = image->pixels.data();
  while (cinfo->output_scanline < cinfo->output_height) {
    std::uint8_t* row = base + cinfo->output_scanline * w * bytes_per_pixel;
    JSAMPROW target = gray ? row + 2 * w : row;
    jpeg_read_scanlines(cinfo, &target, 1);
    if (gray)
      for (std::uint64_t x = 0; x < w; ++x) {
        const std::uint8_t v = row[2 * w + x];
        row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = v;
      }
  }
  if (cmyk) {
    for (std::uint64_t p = 0; p < w * h; ++p) cmyk_to_rgb(base + 4 * p, base + 3 * p);
    image->pixels.resize(w * h * 3);
  }
  jpeg_finish_decompress(cinfo);
  jpeg_destroy_decompress(cinfo);
  return Outcome::kOk;
}

std::string color_space_name(int space) {
  switch (space) {
    case JCS_UNKNOWN:
      return "an unknown colour space";
    default:
      return "colour space " + std::to_string(space);
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
                       "JPEG in " + color_space_name(cinfo.jpeg_color_space) +
                           " is not supported (only RGB/YCbCr, grayscale and CMYK/YCCK)");
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
