#include "pcmkit/data/image_list.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <set>
#include <system_error>
#include <utility>

#include "pcmkit/core/error.h"

namespace pcmkit::data {
namespace {

namespace fs = std::filesystem;

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

bool is_jpeg_name(const fs::path& p) {
  const std::string e = lower(p.extension().string());
  return e == ".jpg" || e == ".jpeg";
}

// Image types that torchvision's ImageFolder would read but that are not decoded here.
bool is_other_image_name(const fs::path& p) {
  const std::string e = lower(p.extension().string());
  for (const char* other : {".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"})
    if (e == other) return true;
  return false;
}

void require_directory(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError(dir.string(), "",
                     fs::exists(dir, ec) ? "not a directory" : "no such directory");
}

// Every JPEG below `dir`, sorted by (directory, file name).
std::vector<fs::path> jpegs_below(const fs::path& dir) {
  std::vector<std::pair<std::string, std::string>> found;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec);
  if (ec) throw InputError(dir.string(), "", "cannot list (" + ec.message() + ")");
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw InputError(dir.string(), "", "cannot list (" + ec.message() + ")");
    if (!it->is_regular_file(ec)) continue;
    const fs::path& p = it->path();
    if (is_other_image_name(p))
      throw InputError(p.string(), "", "only JPEG images are supported (convert it to .jpg)");
    if (is_jpeg_name(p)) found.emplace_back(p.parent_path().string(), p.filename().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> files;
  for (const auto& [parent, name] : found) files.push_back(fs::path(parent) / name);
  return files;
}

std::string trim(const std::string& s) {
  const auto space = [](unsigned char ch) { return std::isspace(ch) != 0; };
  std::size_t b = 0, e = s.size();
  while (b < e && space(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && space(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

}  // namespace

ImageList list_class_folders(const fs::path& dir, int max_classes) {
  require_directory(dir);
  std::vector<std::string> classes;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec))
    if (e.is_directory(ec)) classes.push_back(e.path().filename().string());
  if (ec) throw InputError(dir.string(), "", "cannot list (" + ec.message() + ")");
  if (classes.empty())
    throw InputError(dir.string(), "",
                     std::string("no class folder and no ") + kLabelListName +
                         " (expected an ImageFolder: one sub-folder of JPEGs per class)");
  std::sort(classes.begin(), classes.end());
  if (static_cast<std::int64_t>(classes.size()) > max_classes)
    throw InputError(dir.string(), "",
                     std::to_string(classes.size()) + " class folders but the network has " +
                         std::to_string(max_classes) + " outputs");
  ImageList list;
  list.num_classes = static_cast<int>(classes.size());
  list.class_names = classes;
  for (std::size_t c = 0; c < classes.size(); ++c) {
    const std::vector<fs::path> files = jpegs_below(dir / classes[c]);
    if (files.empty())
      throw InputError((dir / classes[c]).string(), "", "class folder without a JPEG file");
    for (const fs::path& f : files) list.files.push_back({f, static_cast<int>(c)});
  }
  return list;
}

ImageList read_label_list(const fs::path& dir, int num_classes) {
  require_directory(dir);
  const fs::path list_path = dir / kLabelListName;
  const std::string file = list_path.string();
  std::ifstream in(list_path);
  if (!in) throw InputError(file, "", "cannot open for reading");
  ImageList list;
  list.num_classes = num_classes;
  std::set<std::string> seen;
  std::string raw;
  for (int line_no = 1; std::getline(in, raw); ++line_no) {
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    const std::string field = "line " + std::to_string(line_no);
    const std::size_t gap = line.find_last_of(" \t");
    if (gap == std::string::npos)
      throw InputError(file, field, "expected '<file name> <label index>', got '" + line + "'");
    const std::string name = trim(line.substr(0, gap));
    const std::string label_text = line.substr(gap + 1);
    int label = -1;
    const auto [end, err] =
        std::from_chars(label_text.data(), label_text.data() + label_text.size(), label);
    if (err != std::errc() || end != label_text.data() + label_text.size())
      throw InputError(file, field, "label '" + label_text + "' is not an integer");
    if (label < 0 || label >= num_classes)
      throw InputError(file, field,
                       "label " + label_text + " is not in 0.." + std::to_string(num_classes - 1) +
                           " (the network's outputs)");
    if (!seen.insert(name).second) throw InputError(file, field, "'" + name + "' listed twice");
    const fs::path path = dir / name;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec))
      throw InputError(file, field, "listed file '" + name + "' does not exist");
    list.files.push_back({path, label});
  }
  if (in.bad()) throw InputError(file, "", "read failed");
  if (list.files.empty()) throw InputError(file, "", "lists no image");
  return list;
}

ImageList list_images(const fs::path& dir, int num_classes) {
  std::error_code ec;
  if (fs::exists(dir / kLabelListName, ec)) return read_label_list(dir, num_classes);
  return list_class_folders(dir, num_classes);
}

ImageList round_robin_by_class(const ImageList& list, std::int64_t count) {
  PCMKIT_CHECK(count >= 0, "round_robin_by_class: count < 0");
  std::vector<std::vector<const LabelledFile*>> by_class(
      static_cast<std::size_t>(std::max(list.num_classes, 0)));
  for (const LabelledFile& f : list.files) {
    PCMKIT_CHECK(f.label >= 0 && f.label < list.num_classes, "round_robin_by_class: bad label");
    by_class[static_cast<std::size_t>(f.label)].push_back(&f);
  }
  ImageList chosen;
  chosen.num_classes = list.num_classes;
  chosen.class_names = list.class_names;
  const auto target = static_cast<std::size_t>(
      std::min<std::int64_t>(count, static_cast<std::int64_t>(list.files.size())));
  for (std::size_t round = 0; chosen.files.size() < target; ++round)
    for (const auto& files : by_class) {
      if (round < files.size()) chosen.files.push_back(*files[round]);
      if (chosen.files.size() == target) break;
    }
  return chosen;
}

}  // namespace pcmkit::data
