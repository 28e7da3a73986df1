// The keys a kiosk trusts (trusted_key), and the secrets kept out of the
// database (core/secrets.hpp).
#include <algorithm>
#include <tuple>

#include "core/secrets.hpp"
#include "core/sqlite.hpp"
#include "core/store.hpp"

namespace shelter {

namespace {
constexpr const char* kOldTokenMeta = "sync_token";  // where versions before the secrets file kept it
}

Status Store::move_secrets_out() {
  auto token = meta(kOldTokenMeta);
  if (!token) return token.error().context("move the sync token out");
  if (!token->has_value()) return {};
  const std::string path = secrets_path(path_);
  if (path.empty()) return {};  // an in-memory store: nowhere else to keep it
  // A token already in the file is the newer one (an old backup restored
  // over an upgraded kiosk brings its own, retired token).
  if (auto st = update_secrets(path,
                               [&](DeviceSecrets& s) {
                                 if (!s.sync_token.empty()) return false;
                                 s.sync_token = **token;
                                 return true;
                               });
      !st)
    return st.error().context("move the sync token out");
  // secure_delete overwrites the deleted row in its page, so neither the
  // file nor a backup of it (a page copy) keeps the token's bytes.
  if (auto st = db_->exec("PRAGMA secure_delete=ON"); !st) return st;
  auto q = db_->prepare("DELETE FROM meta WHERE key = ?1");
  if (!q) return q.error();
  (*q)->bind(1, std::string(kOldTokenMeta));
  auto st = (*q)->run();
  (void)db_->exec("PRAGMA secure_delete=OFF");
  if (!st) return st.error().context("move the sync token out");
  // The WAL still holds the old page: copy it back now and truncate the log.
  (void)db_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return {};
}

Status Store::set_trusted_keys(const std::vector<signing::TrustedKey>& given) {
  std::vector<signing::TrustedKey> keys = given;
  std::sort(keys.begin(), keys.end(),
            [](const auto& a, const auto& b) { return std::tie(a.kind, a.key_id) < std::tie(b.kind, b.key_id); });
  auto now = trusted_keys();
  if (!now) return now.error();
  if (*now == keys) return {};  // nothing changed: no write every sync round
  auto tx = sql::Tx::begin(*db_);
  if (!tx) return tx.error().context("trusted keys");
  if (auto st = db_->exec("DELETE FROM trusted_key"); !st) return st.error().context("trusted keys");
  auto q = db_->prepare(
      "INSERT OR REPLACE INTO trusted_key(key_id, kind, device_id, shelter_id, public_key, revoked) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  if (!q) return q.error().context("trusted keys");
  for (const auto& k : keys) {
    (*q)->bind(1, k.key_id).bind(2, k.kind).bind(3, k.device_id).bind(4, k.shelter_id);
    (*q)->bind(5, signing::to_hex(k.public_key)).bind(6, std::int64_t{k.revoked});
    if (auto st = (*q)->run(); !st) return st.error().context("trusted keys");
  }
  return (*tx)->commit().context("trusted keys");
}

Result<std::vector<signing::TrustedKey>> Store::trusted_keys() {
  auto q = db_->prepare(
      "SELECT key_id, kind, device_id, shelter_id, public_key, revoked FROM trusted_key ORDER BY kind, key_id");
  if (!q) return q.error().context("trusted keys");
  return (*q)
      ->rows<signing::TrustedKey>([](sql::Stmt& s) -> Result<signing::TrustedKey> {
        auto pub = signing::from_hex(s.text(4), signing::kPublicKeyBytes);
        if (!pub) return pub.error().context("key " + s.text(0));
        return signing::TrustedKey{s.text(1), s.text(0), s.text(2), s.text(3), *pub, s.i64(5) != 0};
      })
      .context("trusted keys");
}

}  // namespace shelter
