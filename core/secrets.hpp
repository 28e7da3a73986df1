#pragma once
// A kiosk's secrets, kept out of its database so that backups (a copy of
// the SQLite file) and database exports never carry them: the sync token
// and the device's Ed25519 signing key. They live in a file beside the
// database, "<db path>.secret": JSON, mode 0600, written atomically (tmp,
// fsync, rename), changed under an flock on "<db path>.secret.lock" so the
// kiosk, the daemon and shelterctl never lose each other's changes.
//
//   {"v": 1, "sync_token": "...", "device_key": {signing::key_to_json}}
//
// An earlier version kept the token in the store's meta table; Store::open
// moves it here (Store::move_secrets_out).
#include <functional>
#include <string>

#include "core/result.hpp"
#include "core/signing.hpp"

namespace shelter {

struct DeviceSecrets {
  std::string sync_token;       // "" before enrolment
  std::string hub_token{};      // the shelter hub's token (shelterctl enrol --hub), "" for none
  signing::KeyPair device_key;  // empty before the first need
};

// "<db_path>.secret"; "" for a database that has no file (":memory:").
std::string secrets_path(const std::string& db_path);

// The secrets in `path`; all empty when the file does not exist.
Result<DeviceSecrets> load_secrets(const std::string& path);
// Reads, changes and writes the file under its lock. `change` returns false
// to leave the file as it is.
Status update_secrets(const std::string& path, const std::function<bool(DeviceSecrets&)>& change);
// The device's signing key, made and saved on first use.
Result<signing::KeyPair> ensure_device_key(const std::string& path);

}  // namespace shelter
