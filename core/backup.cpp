#include "core/backup.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/fs_util.hpp"
#include "core/secrets.hpp"
#include "core/sqlite.hpp"
#include "core/usb_export.hpp"

namespace shelter {

namespace fs = std::filesystem;

namespace {

// Copies the database behind `from` into a new file `to` (which must not
// exist), page by page, with the destination synced on commit.
Status copy_database(sqlite3* from, const std::string& to) {
  sqlite3* dest = nullptr;
  if (sqlite3_open_v2(to.c_str(), &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    const std::string msg = dest ? sqlite3_errmsg(dest) : "out of memory";
    sqlite3_close(dest);
    return fail("open " + to + ": " + msg);
  }
  sqlite3_exec(dest, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
  sqlite3_backup* b = sqlite3_backup_init(dest, "main", from, "main");
  if (!b) {
    const std::string msg = sqlite3_errmsg(dest);
    sqlite3_close(dest);
    return fail("start copy: " + msg);
  }
  int rc;
  // A few hundred pages at a time: the kiosk's writers are held up for
  // milliseconds at most; a write in between restarts the copy.
  while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
    if (rc != SQLITE_OK) sqlite3_sleep(20);
  sqlite3_backup_finish(b);
  const std::string msg = sqlite3_errmsg(dest);
  if (sqlite3_close(dest) != SQLITE_OK || rc != SQLITE_DONE)
    return fail("copy: " + (rc == SQLITE_DONE ? "close" : msg));
  ::chmod(to.c_str(), 0600);
  return {};
}

std::string temp_beside(const std::string& path) {
  const fs::path p(path);
  return (p.parent_path() / ("." + p.filename().string() + ".tmp-" + std::to_string(::getpid()))).string();
}

constexpr char kMagic[] = "{\"shelter_checkin_backup\":1";
constexpr size_t kChunkBytes = 64 * 1024;
constexpr size_t kMaxHeaderBytes = 8192;
using File = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

File open_file(const std::string& path, const char* mode) {
  return File(std::fopen(path.c_str(), mode), &std::fclose);
}

// Encrypts the file `plain` into a new file `out` under `header` (a JSON
// line) with key `k` (crypto_secretstream_xchacha20poly1305).
Status encrypt_file(const std::string& plain, const std::string& out, const std::string& header,
                    const unsigned char* k) {
  File in = open_file(plain, "rb");
  if (!in) return fail("read " + plain + ": " + std::strerror(errno));
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail("write " + out + ": " + std::strerror(errno));
  File dst(::fdopen(fd, "wb"), &std::fclose);
  if (!dst) {
    ::close(fd);
    return fail("write " + out + ": " + std::strerror(errno));
  }
  crypto_secretstream_xchacha20poly1305_state state;
  unsigned char sheader[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
  crypto_secretstream_xchacha20poly1305_init_push(&state, sheader, k);
  bool ok = std::fwrite(header.data(), 1, header.size(), dst.get()) == header.size() &&
            std::fwrite(sheader, 1, sizeof sheader, dst.get()) == sizeof sheader;
  std::vector<unsigned char> buf(kChunkBytes), cipher(kChunkBytes + crypto_secretstream_xchacha20poly1305_ABYTES);
  while (ok) {
    const size_t n = std::fread(buf.data(), 1, buf.size(), in.get());
    if (std::ferror(in.get())) return fail("read " + plain + ": " + std::strerror(errno));
    const bool last = n < buf.size() && std::feof(in.get());
    unsigned long long clen = 0;
    crypto_secretstream_xchacha20poly1305_push(&state, cipher.data(), &clen, buf.data(), n,
                                               reinterpret_cast<const unsigned char*>(header.data()), header.size(),
                                               last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
    const unsigned char len[4] = {static_cast<unsigned char>(clen >> 24), static_cast<unsigned char>(clen >> 16),
                                  static_cast<unsigned char>(clen >> 8), static_cast<unsigned char>(clen)};
    ok = std::fwrite(len, 1, 4, dst.get()) == 4 && std::fwrite(cipher.data(), 1, clen, dst.get()) == clen;
    if (last) break;
  }
  sodium_memzero(buf.data(), buf.size());
  ok = ok && std::fflush(dst.get()) == 0 && ::fsync(::fileno(dst.get())) == 0;
  if (!ok) return fail("write " + out + ": " + std::strerror(errno));
  return {};
}

struct SealedHeader {
  std::string line;  // with its \n
  nlohmann::json json;
};

Result<SealedHeader> read_sealed_header(std::FILE* f, const std::string& path) {
  std::string line;
  for (int c; (c = std::fgetc(f)) != EOF;) {
    line += static_cast<char>(c);
    if (c == '\n') break;
    if (line.size() > kMaxHeaderBytes) break;
  }
  if (line.rfind(kMagic, 0) != 0 || line.back() != '\n')
    return fail(path + ": not a sealed backup of version 1 (no header line)");
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object() || !j.contains("keys") || !j["keys"].is_array()) return fail(path + ": damaged backup header");
  return SealedHeader{line, std::move(j)};
}

// Decrypts the sealed backup `backup` into `out` with the key that `open_k`
// finds among the header's sealed keys.
using KeyOpener = std::function<Result<std::string>(const nlohmann::json& entry)>;
Status decrypt_file(const std::string& backup, const std::string& out, const KeyOpener& open_k,
                    const std::string& no_key_message) {
  File in = open_file(backup, "rb");
  if (!in) return fail("read " + backup + ": " + std::strerror(errno));
  auto h = read_sealed_header(in.get(), backup);
  if (!h) return h.error();
  std::string k;
  for (const auto& entry : h->json["keys"]) {
    if (!entry.is_object()) continue;
    auto got = open_k(entry);
    if (!got) return got.error().context(backup);
    if (!got->empty()) {
      k = std::move(*got);
      break;
    }
  }
  if (k.size() != crypto_secretstream_xchacha20poly1305_KEYBYTES) return fail(backup + ": " + no_key_message);
  unsigned char sheader[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
  if (std::fread(sheader, 1, sizeof sheader, in.get()) != sizeof sheader) return fail(backup + ": cut off");
  crypto_secretstream_xchacha20poly1305_state state;
  if (crypto_secretstream_xchacha20poly1305_init_pull(&state, sheader,
                                                      reinterpret_cast<const unsigned char*>(k.data())) != 0)
    return fail(backup + ": damaged");
  sodium_memzero(k.data(), k.size());
  const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail("write " + out + ": " + std::strerror(errno));
  File dst(::fdopen(fd, "wb"), &std::fclose);
  if (!dst) {
    ::close(fd);
    return fail("write " + out + ": " + std::strerror(errno));
  }
  std::vector<unsigned char> cipher(kChunkBytes + crypto_secretstream_xchacha20poly1305_ABYTES), plain(kChunkBytes);
  for (bool final = false; !final;) {
    unsigned char len[4];
    if (std::fread(len, 1, 4, in.get()) != 4) return fail(backup + ": cut off (no final chunk)");
    const size_t clen = size_t{len[0]} << 24 | size_t{len[1]} << 16 | size_t{len[2]} << 8 | size_t{len[3]};
    if (clen < crypto_secretstream_xchacha20poly1305_ABYTES || clen > cipher.size())
      return fail(backup + ": damaged (bad chunk length)");
    if (std::fread(cipher.data(), 1, clen, in.get()) != clen) return fail(backup + ": cut off");
    unsigned long long plen = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&state, plain.data(), &plen, &tag, cipher.data(), clen,
                                                   reinterpret_cast<const unsigned char*>(h->line.data()),
                                                   h->line.size()) != 0)
      return fail(backup + ": damaged or altered");
    if (std::fwrite(plain.data(), 1, plen, dst.get()) != plen)
      return fail("write " + out + ": " + std::strerror(errno));
    final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  }
  sodium_memzero(plain.data(), plain.size());
  if (std::fgetc(in.get()) != EOF) return fail(backup + ": damaged (bytes after the final chunk)");
  if (std::fflush(dst.get()) != 0 || ::fsync(::fileno(dst.get())) != 0)
    return fail("write " + out + ": " + std::strerror(errno));
  return {};
}

// A key opener for a box key pair: the entry `to` with this key id.
KeyOpener opener(const std::string& to, const std::string& key_id, const sealing::BoxKeyPair& pair) {
  return [to, key_id, pair](const nlohmann::json& e) -> Result<std::string> {
    auto text = [&](const char* f) { return e.contains(f) && e[f].is_string() ? e[f].get<std::string>() : ""; };
    if (text("to") != to || text("key_id") != key_id) return std::string();
    auto sealed =
        signing::from_hex(text("sealed"), crypto_secretstream_xchacha20poly1305_KEYBYTES + crypto_box_SEALBYTES);
    if (!sealed) return fail("damaged backup header");
    return sealing::open(pair, *sealed);
  };
}

// Decrypts into a temporary file beside `out`, then renames it into place.
Status open_into(const std::string& backup, const std::string& out, const KeyOpener& k, const std::string& no_key) {
  const std::string tmp = temp_beside(out);
  std::error_code ec;
  fs::remove(tmp, ec);
  auto st = decrypt_file(backup, tmp, k, no_key);
  if (st) st = rename_durable(tmp, out);
  if (!st) fs::remove(tmp, ec);
  return st;
}

}  // namespace

bool is_sealed_backup(const std::string& path) {
  File f = open_file(path, "rb");
  if (!f) return false;
  char head[sizeof kMagic - 1];
  return std::fread(head, 1, sizeof head, f.get()) == sizeof head && std::string_view(head, sizeof head) == kMagic;
}

Status open_backup(const std::string& backup, const std::string& out, const sealing::BoxKeyPair& hq) {
  return open_into(backup, out, opener("hq", hq.key_id(), hq),
                   "not sealed to headquarters key " + hq.key_id() +
                       " (made before the kiosk had it, or for another key file)")
      .context("open backup");
}

Status open_backup(const std::string& backup, const std::string& out, const signing::KeyPair& device_key) {
  auto box = sealing::from_signing_key(device_key);
  if (!box) return box.error().context("open backup");
  return open_into(backup, out, opener("device", device_key.key_id(), *box),
                   "not sealed to this device's key " + device_key.key_id() +
                       " (another tablet's backup: have it opened at headquarters, shelter-server open-backup)")
      .context("open backup");
}

Status backup_store(Store& store, const std::string& path) {
  const std::string tmp = temp_beside(path);
  std::error_code ec;
  fs::remove(tmp, ec);
  if (auto st = copy_database(store.db().handle(), tmp); !st) {
    fs::remove(tmp, ec);
    return st.error().context("backup to " + path);
  }
  if (auto st = rename_durable(tmp, path); !st) {
    fs::remove(tmp, ec);
    return st.error().context("backup to " + path);
  }
  return {};
}

Result<std::string> rolling_backup(Store& store, const std::string& dir, int keep, bool* hq_sealed) {
  if (keep < 1) return fail("backup: keep at least 1");
  const std::string secrets = secrets_path(store.path());
  if (secrets.empty()) return fail("backup: the database has no file");
  auto device_key = ensure_device_key(secrets);
  if (!device_key) return device_key.error().context("backup");
  auto device_box = sealing::from_signing_key(*device_key);
  if (!device_box) return device_box.error().context("backup");
  auto hq = headquarters_key(store);
  if (!hq) return hq.error().context("backup");
  if (hq_sealed) *hq_sealed = hq->has_value();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail("backup: create " + dir + ": " + ec.message());
  const std::string prefix = store.device_id() + "-";
  const std::string path = (fs::path(dir) / (prefix + utc_now("%Y%m%dT%H%M%SZ") + ".backup")).string();
  // The plain copy stays on the tablet's own disk, beside the database.
  const std::string plain = temp_beside(store.path());
  const std::string tmp = temp_beside(path);
  fs::remove(plain, ec);
  fs::remove(tmp, ec);
  unsigned char k[crypto_secretstream_xchacha20poly1305_KEYBYTES];
  crypto_secretstream_xchacha20poly1305_keygen(k);
  const std::string_view kv(reinterpret_cast<const char*>(k), sizeof k);
  nlohmann::json keys = nlohmann::json::array();
  auto to_device = sealing::seal(device_box->public_key, kv);
  if (!to_device) return to_device.error().context("backup");
  keys.push_back({{"to", "device"}, {"key_id", device_key->key_id()}, {"sealed", signing::to_hex(*to_device)}});
  if (*hq) {
    auto to_hq = sealing::seal((*hq)->public_key, kv);
    if (!to_hq) return to_hq.error().context("backup");
    keys.push_back({{"to", "hq"}, {"key_id", (*hq)->key_id}, {"sealed", signing::to_hex(*to_hq)}});
  }
  const std::string header =
      std::string(kMagic) + "," +
      nlohmann::json{{"device", store.device_id()}, {"shelter", store.shelter_id()}, {"keys", keys}}.dump().substr(1) +
      "\n";
  Status st = copy_database(store.db().handle(), plain);
  if (st) st = encrypt_file(plain, tmp, header, k);
  sodium_memzero(k, sizeof k);
  fs::remove(plain, ec);
  if (st) st = rename_durable(tmp, path);
  if (!st) {
    fs::remove(tmp, ec);
    return st.error().context("backup to " + path);
  }
  std::vector<std::string> mine;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    const auto ext = e.path().extension();
    if (name.rfind(prefix, 0) == 0 && (ext == ".db" || ext == ".backup")) mine.push_back(e.path().string());
  }
  std::sort(mine.begin(), mine.end(), [](const std::string& a, const std::string& b) {
    return fs::path(a).stem() < fs::path(b).stem();  // the stamp sorts by time
  });
  for (size_t i = 0; i + static_cast<size_t>(keep) < mine.size(); ++i) fs::remove(mine[i], ec);
  return path;
}

namespace {

Status restore_plain(const std::string& source, const std::string& ctx, const std::string& db_path, bool force) {
  const std::string& backup = source;
  Store::Options ro;
  ro.create = false;
  ro.read_only = true;
  auto src = Store::open(backup, ro);
  if (!src) return src.error().context(ctx);
  auto check = (*src)->integrity_check();
  if (!check) return check.error().context(ctx);
  if (*check != "ok") return fail(ctx + ": the backup is damaged: " + *check);
  if ((*src)->device_id().empty()) return fail(ctx + ": not a kiosk database (no device identity)");
  std::error_code ec;
  if (fs::exists(db_path, ec) && !force)
    return fail(ctx + ": " + db_path + " exists; stop the kiosk and the daemon, then give --force to replace it");
  const std::string tmp = temp_beside(db_path);
  fs::remove(tmp, ec);
  if (auto st = copy_database((*src)->db().handle(), tmp); !st) {
    fs::remove(tmp, ec);
    return st.error().context(ctx);
  }
  // The server may hold events this device wrote after the backup: new ones
  // must not reuse their sequence numbers (a count never reaches the time in
  // ms, so the time at restore is past them all).
  {
    auto db = sql::Db::open(tmp, SQLITE_OPEN_READWRITE);
    if (!db) return db.error().context(ctx);
    auto q = (*db)->prepare("INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2");
    if (!q) return q.error().context(ctx);
    (*q)->bind(1, kDeviceSeqFloorMeta).bind(2, std::to_string(system_millis()));
    if (auto st = (*q)->run(); !st) {
      fs::remove(tmp, ec);
      return st.error().context(ctx + ": mark the restored file");
    }
  }
  // The old file's write-ahead log must not be replayed into the new file.
  fs::remove(db_path + "-wal", ec);
  fs::remove(db_path + "-shm", ec);
  if (auto st = rename_durable(tmp, db_path); !st) {
    fs::remove(tmp, ec);
    return st.error().context(ctx);
  }
  return {};
}

}  // namespace

Status restore_backup(const std::string& backup, const std::string& db_path, bool force,
                      const signing::KeyPair* device_key) {
  const std::string ctx = "restore " + backup;
  if (!is_sealed_backup(backup)) return restore_plain(backup, ctx, db_path, force);
  signing::KeyPair key;
  if (device_key) {
    key = *device_key;
  } else {
    auto secrets = load_secrets(secrets_path(db_path));
    if (!secrets) return secrets.error().context(ctx);
    if (secrets->device_key.empty())
      return fail(ctx + ": this tablet has no device key beside " + db_path +
                  " (a new tablet?): have the backup opened at headquarters (shelter-server open-backup) and restore "
                  "that file");
    key = secrets->device_key;
  }
  std::error_code ec;
  if (fs::exists(db_path, ec) && !force)
    return fail(ctx + ": " + db_path + " exists; stop the kiosk and the daemon, then give --force to replace it");
  const std::string plain = temp_beside(db_path) + ".plain";
  if (auto st = open_backup(backup, plain, key); !st) {
    fs::remove(plain, ec);
    return st.error().context(ctx);
  }
  auto st = restore_plain(plain, ctx, db_path, force);
  fs::remove(plain, ec);
  return st;
}

}  // namespace shelter
