#pragma once
// Which USB stick, if any, is mounted at the kiosk's export folder, so that
// the export screen can name it ("SHELTER (sdb1), 7.3 GB free") or say that
// none is plugged in. The package's udev rule mounts a stick there
// (deploy/usb/usb-stick); this only reads /proc/self/mountinfo and the
// /dev/disk/by-label links, so it works as the kiosk's unprivileged user.
#include <cstdint>
#include <optional>
#include <string>

namespace shelter::kiosk {

struct UsbStick {
  std::string device;  // "/dev/sdb1"
  std::string label;   // the filesystem's label, "" when it has none
  std::string fs_type;
  std::uint64_t free_bytes = 0;
  // "SHELTER (sdb1), 7.3 GB free".
  std::string describe() const;
};

// The filesystem mounted exactly at `export_dir` from a block device, or
// nothing (a plain folder on the kiosk's own disk is not a stick). The
// paths are parameters for tests.
std::optional<UsbStick> find_usb_stick(const std::string& export_dir,
                                       const std::string& mountinfo = "/proc/self/mountinfo",
                                       const std::string& by_label_dir = "/dev/disk/by-label");

}  // namespace shelter::kiosk
