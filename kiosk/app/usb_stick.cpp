#include "kiosk/app/usb_stick.hpp"

#include <sys/statvfs.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace fs = std::filesystem;

namespace shelter::kiosk {

namespace {

// mountinfo escapes spaces and a few others as \ooo octal.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const std::string oct = s.substr(i + 1, 3);
      if (oct.size() == 3 && oct.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>(std::stoi(oct, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string normal(const std::string& path) {
  std::string p = fs::path(path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// by-label links name labels with udev's escaping (\x20 for a space).
std::string label_from_link(const std::string& name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '\\' && i + 3 < name.size() && name[i + 1] == 'x' &&
        std::isxdigit(static_cast<unsigned char>(name[i + 2])) &&
        std::isxdigit(static_cast<unsigned char>(name[i + 3]))) {
      out += static_cast<char>(std::stoi(name.substr(i + 2, 2), nullptr, 16));
      i += 3;
    } else {
      out += name[i];
    }
  }
  return out;
}

}  // namespace

std::string UsbStick::describe() const {
  const std::string dev = fs::path(device).filename().string();
  char free[32];
  std::snprintf(free, sizeof free, "%.1f GB", static_cast<double>(free_bytes) / 1e9);
  return (label.empty() ? dev : label + " (" + dev + ")") + ", " + free;
}

std::optional<UsbStick> find_usb_stick(const std::string& export_dir, const std::string& mountinfo,
                                       const std::string& by_label_dir) {
  std::ifstream in(mountinfo);
  if (!in) return std::nullopt;
  const std::string want = normal(export_dir);
  std::optional<UsbStick> found;
  std::string line;
  // id parent major:minor root mount-point options [optional...] - fstype source super-options
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::vector<std::string> w;
    for (std::string x; f >> x;) w.push_back(x);
    size_t dash = 0;
    while (dash < w.size() && w[dash] != "-") ++dash;
    if (w.size() < 5 || dash + 2 >= w.size()) continue;
    if (normal(unescape(w[4])) != want) continue;
    const std::string source = unescape(w[dash + 2]);
    if (source.rfind("/dev/", 0) != 0) {
      found.reset();  // something else mounted over the folder (tmpfs, a bind): no stick
      continue;
    }
    UsbStick s;
    s.device = source;
    s.fs_type = w[dash + 1];
    found = s;  // the last mount at a point is the one seen
  }
  if (!found) return found;
  std::error_code ec;
  for (const auto& link : fs::directory_iterator(by_label_dir, ec)) {
    std::error_code ec2;
    const fs::path target = fs::canonical(link.path(), ec2);
    if (!ec2 && target == fs::path(found->device)) found->label = label_from_link(link.path().filename().string());
  }
  struct statvfs st {};
  if (statvfs(export_dir.c_str(), &st) == 0)
    found->free_bytes = static_cast<std::uint64_t>(st.f_bavail) * static_cast<std::uint64_t>(st.f_frsize);
  return found;
}

}  // namespace shelter::kiosk
