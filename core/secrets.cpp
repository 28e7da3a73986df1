#include "core/secrets.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "core/fs_util.hpp"

namespace shelter {

namespace {

// An exclusive flock held for the life of the object.
class FileLock {
 public:
  explicit FileLock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      error_ = std::strerror(errno);
      return;
    }
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      error_ = std::strerror(errno);
      ::close(fd_);
      fd_ = -1;
      return;
    }
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool ok() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  std::string error_;
};

std::string to_text(const DeviceSecrets& s) {
  nlohmann::json j{{"v", 1}};
  if (!s.sync_token.empty()) j["sync_token"] = s.sync_token;
  if (!s.hub_token.empty()) j["hub_token"] = s.hub_token;
  if (!s.device_key.empty()) j["device_key"] = nlohmann::json::parse(signing::key_to_json(s.device_key, "device"));
  return j.dump(2) + "\n";
}

Result<DeviceSecrets> parse(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("v") || j["v"] != 1) return fail("not a version 1 secrets file");
  DeviceSecrets s;
  if (j.contains("sync_token")) {
    if (!j["sync_token"].is_string()) return fail("sync_token is not a string");
    s.sync_token = j["sync_token"].get<std::string>();
  }
  if (j.contains("hub_token")) {
    if (!j["hub_token"].is_string()) return fail("hub_token is not a string");
    s.hub_token = j["hub_token"].get<std::string>();
  }
  if (j.contains("device_key")) {
    auto key = signing::key_from_json(j["device_key"].dump());
    if (!key) return key.error().context("device_key");
    s.device_key = std::move(key->pair);
  }
  return s;
}

}  // namespace

std::string secrets_path(const std::string& db_path) {
  if (db_path.empty() || db_path == ":memory:" || db_path.rfind("file:", 0) == 0) return {};
  return db_path + ".secret";
}

Result<DeviceSecrets> load_secrets(const std::string& path) {
  if (path.empty()) return DeviceSecrets{};
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) return DeviceSecrets{};
  auto text = read_file_bytes(path, 1 << 20);
  if (!text) return text.error().context("secrets");
  auto s = parse(*text);
  if (!s) return s.error().context("secrets " + path);
  return s;
}

Status update_secrets(const std::string& path, const std::function<bool(DeviceSecrets&)>& change) {
  if (path.empty()) return fail("secrets: this database has no file to keep them beside");
  FileLock lock(path + ".lock");
  if (!lock.ok()) return fail("secrets: lock " + path + ".lock: " + lock.error());
  auto s = load_secrets(path);
  if (!s) return s.error();
  if (!change(*s)) return {};
  return write_file_atomic(path, to_text(*s), 0600).context("secrets");
}

Result<signing::KeyPair> ensure_device_key(const std::string& path) {
  if (auto s = load_secrets(path); !s)
    return s.error();
  else if (!s->device_key.empty())
    return s->device_key;
  signing::KeyPair key;
  auto st = update_secrets(path, [&](DeviceSecrets& s) {
    if (!s.device_key.empty()) {  // made by another process meanwhile
      key = s.device_key;
      return false;
    }
    s.device_key = key = signing::generate();
    return true;
  });
  if (!st) return st.error().context("device key");
  return key;
}

}  // namespace shelter
