// The sweep journal: items read back exactly, a cut last line dropped, other sweeps refused.
#include "pcmkit/experiment/sweep_journal.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "pcmkit/core/error.h"

using namespace pcmkit;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("pcmkit_journal_" + name);
  fs::remove_all(dir);
  return dir;
}

}  // namespace

TEST_CASE("a journal gives back every recorded item bit for bit") {
  const fs::path dir = fresh_dir("exact");
  {
    experiment::SweepJournal j(dir, "abc", 10, false);
    j.record(3, 91.23456789012345);
    j.record(0, 1.0 / 3.0);
  }
  experiment::SweepJournal j(dir, "abc", 10, true);
  REQUIRE(j.finished().size() == 2);
  CHECK(j.finished().at(3) == 91.23456789012345);
  CHECK(j.finished().at(0) == 1.0 / 3.0);
  j.record(7, 50.0);
  j.remove();
  CHECK_FALSE(fs::exists(dir / experiment::SweepJournal::kFileName));
  fs::remove_all(dir);
}

TEST_CASE("an existing journal needs --resume, another sweep's journal is refused") {
  const fs::path dir = fresh_dir("refuse");
  { experiment::SweepJournal j(dir, "abc", 10, false); }
  CHECK_THROWS_AS(experiment::SweepJournal(dir, "abc", 10, false), InputError);
  try {
    experiment::SweepJournal j(dir, "other", 10, true);
    FAIL("another sweep's journal was accepted");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("another sweep") != std::string::npos);
  }
  fs::remove_all(dir);
}

TEST_CASE("a last line cut short is dropped, a damaged line is an input error") {
  const fs::path dir = fresh_dir("cut");
  {
    experiment::SweepJournal j(dir, "abc", 10, false);
    j.record(1, 10.5);
  }
  { std::ofstream(dir / experiment::SweepJournal::kFileName, std::ios::app) << "2 0x1.4"; }
  {
    experiment::SweepJournal j(dir, "abc", 10, true);
    CHECK(j.finished().size() == 1);
    j.record(4, 12.0);  // starts on a line of its own
  }
  {
    experiment::SweepJournal j(dir, "abc", 10, true);
    CHECK(j.finished().size() == 2);
    CHECK(j.finished().at(4) == 12.0);
  }
  { std::ofstream(dir / experiment::SweepJournal::kFileName, std::ios::app) << "12 0x1p+1\n"; }
  CHECK_THROWS_AS(experiment::SweepJournal(dir, "abc", 10, true), InputError);  // item 12 of 10
  fs::remove_all(dir);
}
