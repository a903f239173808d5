// Which files an image folder holds and in what order: the ImageFolder layout (classes and files
// sorted by name, nested folders, JPEG extensions in any case), the labels.txt layout (list
// order), round-robin selection across classes, and one-line errors for bad layouts and lists.
#include "pcmkit/data/image_list.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "pcmkit/core/error.h"
#include "test_support/temp_dir.h"

namespace pcmkit::data {
namespace {

namespace fs = std::filesystem;
using pcmkit::test::TempDir;

void touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "x";
}

// "label:relative path" for each file, in order.
std::vector<std::string> describe(const ImageList& list, const fs::path& root) {
  std::vector<std::string> out;
  for (const LabelledFile& f : list.files)
    out.push_back(std::to_string(f.label) + ":" + fs::relative(f.path, root).string());
  return out;
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("ImageFolder: classes sorted by name are labels, files sorted, nested folders included") {
  TempDir dir;
  for (const char* p : {"zebra/b.jpg", "zebra/a.JPEG", "ant/x2.jpeg", "ant/x10.jpg",
                        "ant/sub/a.jpg", "ant/notes.txt", "Bee/c.Jpg"})
    touch(dir / p);
  const ImageList list = list_class_folders(dir.path(), 1000);
  CHECK(list.num_classes == 3);
  CHECK(list.class_names == std::vector<std::string>{"Bee", "ant", "zebra"});  // byte order
  CHECK(describe(list, dir.path()) == std::vector<std::string>{"0:Bee/c.Jpg", "1:ant/x10.jpg",
                                                               "1:ant/x2.jpeg", "1:ant/sub/a.jpg",
                                                               "2:zebra/a.JPEG", "2:zebra/b.jpg"});
}

TEST_CASE("labels.txt: files in list order with their labels — comments and blank lines skipped") {
  TempDir dir;
  for (const char* p : {"b.jpg", "a.jpg", "with space.jpg", "unlisted.jpg"}) touch(dir / p);
  dir.write("labels.txt", "# file label\nb.jpg 7\n\na.jpg\t0\nwith space.jpg 999\r\n");
  const ImageList list = list_images(dir.path(), 1000);
  CHECK(list.num_classes == 1000);
  CHECK(describe(list, dir.path()) ==
        std::vector<std::string>{"7:b.jpg", "0:a.jpg", "999:with space.jpg"});
}

TEST_CASE("round-robin selection takes the i-th file of every class in turn") {
  ImageList list;
  list.num_classes = 4;
  // class 0: 3 files, class 1: 1 file, class 2: none, class 3: 2 files (interleaved in the list)
  for (const auto& [name, label] : std::vector<std::pair<std::string, int>>{
           {"a0", 0}, {"d0", 3}, {"a1", 0}, {"b0", 1}, {"a2", 0}, {"d1", 3}})
    list.files.push_back({name, label});
  auto names = [](const ImageList& l) {
    std::string s;
    for (const LabelledFile& f : l.files) s += f.path.string() + " ";
    return s;
  };
  CHECK(names(round_robin_by_class(list, 100)) == "a0 b0 d0 a1 d1 a2 ");
  CHECK(names(round_robin_by_class(list, 4)) == "a0 b0 d0 a1 ");
  CHECK(names(round_robin_by_class(list, 2)) == "a0 b0 ");
  CHECK(round_robin_by_class(list, 0).files.empty());
  CHECK(round_robin_by_class(list, 4).num_classes == 4);
}

TEST_CASE("round-robin over an ImageFolder of 3 classes spreads 4 images over every class") {
  TempDir dir;
  for (const char* p : {"c/1.jpg", "c/2.jpg", "a/1.jpg", "a/2.jpg", "a/3.jpg", "b/1.jpg"})
    touch(dir / p);
  const ImageList chosen = round_robin_by_class(list_class_folders(dir.path(), 10), 4);
  CHECK(describe(chosen, dir.path()) ==
        std::vector<std::string>{"0:a/1.jpg", "1:b/1.jpg", "2:c/1.jpg", "0:a/2.jpg"});
}

TEST_CASE("bad folders and label lists are one-line errors naming the file") {
  TempDir dir;
  fs::create_directories(dir / "empty");
  touch(dir / "noclass/readme.txt");
  touch(dir / "emptyclass/a/1.jpg");
  fs::create_directories(dir / "emptyclass/b");
  touch(dir / "png/a/1.png");
  touch(dir / "many/a/1.jpg");
  touch(dir / "many/b/1.jpg");
  auto list_with = [&](const std::string& name, const std::string& labels) {
    const fs::path d = dir / name;
    touch(d / "a.jpg");
    std::ofstream(d / "labels.txt") << labels;
    return d;
  };
  struct Case {
    fs::path dir;
    int classes;
    std::string file, problem;
  };
  const std::vector<Case> cases = {
      {dir / "missing", 10, (dir / "missing").string(), "no such directory"},
      {dir / "empty", 10, (dir / "empty").string(), "no class folder"},
      {dir / "noclass", 10, (dir / "noclass").string(), "no class folder"},
      {dir / "emptyclass", 10, (dir / "emptyclass/b").string(), "without a JPEG"},
      {dir / "png", 10, (dir / "png/a/1.png").string(), "only JPEG"},
      {dir / "many", 1, (dir / "many").string(), "2 class folders but the network has 1 outputs"},
      {list_with("range", "a.jpg 10\n"), 10, (dir / "range/labels.txt").string(),
       "line 1: label 10 is not in 0..9"},
      {list_with("negative", "a.jpg -1\n"), 10, (dir / "negative/labels.txt").string(),
       "not in 0..9"},
      {list_with("nolabel", "a.jpg\n"), 10, (dir / "nolabel/labels.txt").string(),
       "line 1: expected"},
      {list_with("text", "a.jpg cat\n"), 10, (dir / "text/labels.txt").string(), "not an integer"},
      {list_with("absent", "a.jpg 1\nb.jpg 2\n"), 10, (dir / "absent/labels.txt").string(),
       "line 2: listed file 'b.jpg' does not exist"},
      {list_with("twice", "a.jpg 1\na.jpg 2\n"), 10, (dir / "twice/labels.txt").string(),
       "listed twice"},
      {list_with("blank", "# nothing\n"), 10, (dir / "blank/labels.txt").string(),
       "lists no image"},
  };
  for (const Case& c : cases) {
    const std::string error = error_of([&] { list_images(c.dir, c.classes); });
    CAPTURE(error);
    CHECK(error.rfind(c.file + ": ", 0) == 0);
    CHECK(error.find(c.problem) != std::string::npos);
    CHECK(error.find('\n') == std::string::npos);
  }
}

}  // namespace pcmkit::data
