// The export screen's USB stick: found in mountinfo only when a block
// device is mounted exactly at the export folder, named by its label.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "kiosk/app/usb_stick.hpp"
#include "test_support.hpp"

using namespace shelter;
using shelter::test::TempDir;
namespace fs = std::filesystem;

namespace {

std::string write(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("the stick mounted at the export folder is found and named", "[kiosk][usb]") {
  TempDir dir;
  const std::string export_dir = dir.file("usb");
  fs::create_directories(export_dir);
  // /dev/null stands in for the stick's device node: the label link must
  // resolve to a real file.
  const std::string info = write(dir, "mountinfo",
                                 "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
                                 "45 22 8:17 / " +
                                     export_dir + " rw,nosuid - vfat /dev/null rw,uid=110\n");
  // udev's by-label links, escaped as udev writes them.
  const std::string labels = dir.file("by-label");
  fs::create_directories(labels);
  fs::create_symlink("/dev/null", labels + "/SHELTER\\x20A");
  fs::create_symlink("/dev/zero", labels + "/OTHER");
  auto stick = kiosk::find_usb_stick(export_dir + "/", info, labels);
  REQUIRE(stick);
  CHECK(stick->device == "/dev/null");
  CHECK(stick->fs_type == "vfat");
  CHECK(stick->label == "SHELTER A");
  CHECK(stick->describe().rfind("SHELTER A (null), ", 0) == 0);
  CHECK(stick->describe().find(" GB") != std::string::npos);
}

TEST_CASE("no stick: a plain folder, a parent mount, or tmpfs over the folder", "[kiosk][usb]") {
  TempDir dir;
  const std::string export_dir = dir.file("usb");
  fs::create_directories(export_dir);
  const std::string root_only = write(dir, "a", "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
  CHECK_FALSE(kiosk::find_usb_stick(export_dir, root_only, dir.file("none")));
  const std::string parent = write(dir, "b", "22 1 8:1 / " + dir.path().string() + " rw - ext4 /dev/sdc1 rw\n");
  CHECK_FALSE(kiosk::find_usb_stick(export_dir, parent, dir.file("none")));
  const std::string over = write(dir, "c",
                                 "45 22 8:17 / " + export_dir +
                                     " rw - vfat /dev/sdb1 rw\n"
                                     "46 45 0:50 / " +
                                     export_dir + " rw - tmpfs tmpfs rw\n");
  CHECK_FALSE(kiosk::find_usb_stick(export_dir, over, dir.file("none")));
  CHECK_FALSE(kiosk::find_usb_stick(export_dir, dir.file("missing"), dir.file("none")));
  // A mount point with a space, as mountinfo escapes it.
  const std::string spaced = dir.file("my usb");
  fs::create_directories(spaced);
  std::string escaped = spaced;
  escaped.replace(escaped.find(' '), 1, "\\040");
  const std::string sp = write(dir, "d", "45 22 8:17 / " + escaped + " rw - exfat /dev/sdd1 rw\n");
  auto stick = kiosk::find_usb_stick(spaced, sp, dir.file("none"));
  REQUIRE(stick);
  CHECK(stick->device == "/dev/sdd1");
}
