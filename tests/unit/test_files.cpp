#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "core/csv.hpp"
#include "core/fs_util.hpp"
#include "test_support.hpp"

using namespace shelter;
using shelter::test::TempDir;

TEST_CASE("write_file_atomic replaces whole files and leaves no temporaries", "[files]") {
  TempDir dir;
  const std::string path = dir.file("out.csv");
  REQUIRE(write_file_atomic(path, "first", 0600).ok());
  REQUIRE(write_file_atomic(path, "second version", 0600).ok());
  auto text = read_file_bytes(path);
  REQUIRE(text.ok());
  CHECK(*text == "second version");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  CHECK(entries == 1);
}

TEST_CASE("write_file_atomic and read_file_bytes report errors with the path", "[files]") {
  TempDir dir;
  auto st = write_file_atomic(dir.file("no-such-dir/x"), "x");
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("no-such-dir/x") != std::string::npos);
  auto r = read_file_bytes(dir.file("missing"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("missing") != std::string::npos);
  REQUIRE(write_file_atomic(dir.file("big"), std::string(2000, 'x')).ok());
  CHECK_FALSE(read_file_bytes(dir.file("big"), 1000).ok());
}

TEST_CASE("write_file_atomic on a full disk keeps the old file", "[files]") {
  // /dev/full accepts opens and fails every write with ENOSPC; a folder on a
  // full filesystem cannot be made here, so check the temp-file path instead:
  // a failed write must leave the target untouched.
  TempDir dir;
  const std::string path = dir.file("keep");
  REQUIRE(write_file_atomic(path, "old").ok());
  ::chmod(dir.path().c_str(), 0500);   // no new files: the temp file cannot be made
  const bool root = ::geteuid() == 0;  // root ignores the mode bits
  auto st = write_file_atomic(path, "new");
  ::chmod(dir.path().c_str(), 0700);
  if (!root) CHECK_FALSE(st.ok());
  if (!st.ok()) CHECK(*read_file_bytes(path) == "old");
}

TEST_CASE("CSV parses quotes, newlines, CRLF and a BOM", "[csv]") {
  auto rows = csv::parse("\xEF\xBB\xBFname,note\r\n\"Sato, Ken\",\"says \"\"hi\"\"\nthen leaves\"\r\n髙橋,\r\n");
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 3);
  CHECK((*rows)[0][0] == "name");
  CHECK((*rows)[1][0] == "Sato, Ken");
  CHECK((*rows)[1][1] == "says \"hi\"\nthen leaves");
  CHECK((*rows)[2][0] == "髙橋");
  CHECK((*rows)[2][1].empty());
  auto bad = csv::parse("a,b\n\"open,c\n");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("line 2") != std::string::npos);
}

TEST_CASE("CSV output quotes what needs it and defuses formulas", "[csv]") {
  CHECK(csv::escape("plain") == "plain");
  CHECK(csv::escape("a,b") == "\"a,b\"");
  CHECK(csv::escape("say \"x\"") == "\"say \"\"x\"\"\"");
  CHECK(csv::escape("=HYPERLINK(\"x\")").rfind("\"'=", 0) == 0);
  CHECK(csv::escape("+81").find('\'') != std::string::npos);
  for (const char* risky : {"-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"}) {
    INFO(risky);
    const std::string out = csv::escape(risky);
    CHECK((out.rfind("'", 0) == 0 || out.rfind("\"'", 0) == 0));
  }
  csv::Header h({" Name ", "BIRTH"});
  CHECK(h.find("name") == 0);
  CHECK(h.get({"Ken", "1990"}, "birth") == "1990");
  CHECK(h.get({"Ken"}, "birth").empty());
  CHECK(h.find("phone") == -1);
  auto round = csv::parse(csv::format_row({"a,b", "c\nd", ""}));
  REQUIRE(round.ok());
  CHECK(round->front() == csv::Row{"a,b", "c\nd", ""});
}
