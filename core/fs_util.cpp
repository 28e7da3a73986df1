#include "core/fs_util.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace shelter {

namespace {
std::string errno_text(int err) {
  return std::strerror(err);
}

// Retries short writes and EINTR.
bool write_all(int fd, std::string_view bytes) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}
}  // namespace

Status write_file_atomic(const std::string& path, std::string_view bytes, mode_t mode) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return fail("write " + path + ": create temporary file: " + errno_text(errno));
  auto abandon = [&](const std::string& what) {
    int err = errno;
    ::close(fd);
    ::unlink(tmpl.c_str());
    return fail("write " + path + ": " + what + ": " + errno_text(err));
  };
  if (::fchmod(fd, mode) != 0) return abandon("chmod");
  if (!write_all(fd, bytes)) return abandon("write");
  if (::fsync(fd) != 0) return abandon("fsync");
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmpl.c_str());
    return fail("write " + path + ": close: " + errno_text(err));
  }
  if (auto st = rename_durable(tmpl, path); !st) {
    ::unlink(tmpl.c_str());
    return st.error().context("write " + path);
  }
  return {};
}

Status rename_durable(const std::string& from, const std::string& to) {
  namespace fs = std::filesystem;
  if (::rename(from.c_str(), to.c_str()) != 0) return fail("rename: " + errno_text(errno));
  // The rename is durable only once the folder entry is on disk.
  const fs::path target(to);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

Result<std::string> read_file_bytes(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("read " + path + ": " + errno_text(errno));
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return fail("read " + path + ": " + errno_text(err));
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      return fail("read " + path + ": larger than " + std::to_string(max_bytes >> 20) + " MiB");
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace shelter
