#include "core/usb_export.hpp"

#include <sodium.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "core/fs_util.hpp"
#include "core/secrets.hpp"
#include "core/store.hpp"
#include "core/volunteers.hpp"

namespace shelter {

namespace {

constexpr int kFormatVersion = 1;
constexpr size_t kMaxEvents = 5'000'000;

std::string checksum(std::string_view text) {
  unsigned char h[32];
  crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(text.data()), text.size(), nullptr, 0);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return hex;
}

constexpr size_t kMaxHeaderBytes = 4096;

// The event lines of a file whose header said how many.
Status parse_events(std::string_view body, const UsbHeader& h, std::vector<Event>& out) {
  size_t pos = 0;
  while (pos < body.size()) {
    const size_t end = body.find('\n', pos);
    auto j = nlohmann::json::parse(body.substr(pos, end - pos), nullptr, false);
    auto e = event_from_json(j);  // validated there
    if (!e) return e.error().context("export file: event " + std::to_string(out.size() + 1));
    out.push_back(std::move(e).value());
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  if (static_cast<std::int64_t>(out.size()) != h.events)
    return fail("export file: header says " + std::to_string(h.events) + " events, found " +
                std::to_string(out.size()));
  return {};
}

}  // namespace

std::string format_usb_export(const UsbExport& x) {
  std::string out = nlohmann::json{{"shelter_checkin_export", kFormatVersion},
                                   {"device", x.device_id},
                                   {"shelter", x.shelter_id},
                                   {"events", x.events.size()}}
                        .dump() +
                    "\n";
  for (const auto& e : x.events) out += to_json(e).dump() + "\n";
  out += nlohmann::json{{"blake2b", checksum(out)}}.dump() + "\n";
  return out;
}

Result<UsbHeader> read_usb_header(std::string_view file) {
  const size_t nl = file.find('\n');
  if (nl == std::string_view::npos || nl > kMaxHeaderBytes) return fail("export file: no header line");
  UsbHeader h;
  h.line = std::string(file.substr(0, nl + 1));
  auto header = nlohmann::json::parse(file.substr(0, nl), nullptr, false);
  if (!header.is_object()) return fail("export file: not a shelter check-in export");
  // Each field checked for its type first: nlohmann's value() throws on a
  // string where a number belongs, and casts a huge number unsafely.
  auto whole = [&](const char* key) -> std::int64_t {
    auto it = header.find(key);
    return it != header.end() && it->is_number_integer() ? it->get<std::int64_t>() : -1;
  };
  auto text_of = [&](const char* key) {
    auto it = header.find(key);
    return it != header.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::int64_t version = whole("shelter_checkin_export");
  if (version != kFormatVersion && version != kUsbSealedVersion)
    return fail("export file: not a shelter check-in export of version 1 or 2");
  h.version = static_cast<int>(version);
  h.device_id = text_of("device");
  h.shelter_id = text_of("shelter");
  h.events = whole("events");
  if (h.events < 0) return fail("export file: the header does not say how many events");
  if (h.events > static_cast<std::int64_t>(kMaxEvents)) return fail("export file: too many events");
  if (h.version == kUsbSealedVersion) {
    h.device_key_id = text_of("device_key");
    h.hq_key_id = text_of("hq_key");
    if (!is_valid_slug(h.device_id) || !is_valid_slug(h.shelter_id))
      return fail("export file: the header's device and shelter must be ids");
    if (!signing::is_key_id(h.device_key_id) || !signing::is_key_id(h.hq_key_id))
      return fail("export file: the header's device_key and hq_key must be key ids");
  }
  return h;
}

Result<UsbExport> parse_usb_export(std::string_view text) {
  if (text.empty() || text.back() != '\n') return fail("export file: incomplete (no final line)");
  const size_t last_start = text.rfind('\n', text.size() - 2);
  if (last_start == std::string_view::npos) return fail("export file: too short");
  const std::string_view body = text.substr(0, last_start + 1);
  auto tail = nlohmann::json::parse(text.substr(last_start + 1), nullptr, false);
  if (!tail.is_object() || !tail.contains("blake2b") || !tail["blake2b"].is_string())
    return fail("export file: no checksum line (cut short?)");
  if (tail["blake2b"].get<std::string>() != checksum(body))
    return fail("export file: checksum mismatch (damaged or altered)");
  auto h = read_usb_header(body);
  if (!h) return h.error();
  if (h->version != kFormatVersion)
    return fail("export file: not a shelter check-in export of version " + std::to_string(kFormatVersion));
  UsbExport x;
  x.device_id = h->device_id;
  x.shelter_id = h->shelter_id;
  if (auto st = parse_events(body.substr(h->line.size()), *h, x.events); !st) return st.error();
  return x;
}

Result<std::string> seal_usb_export(const UsbExport& x, const signing::KeyPair& device_key,
                                    std::string_view hq_public_key) {
  if (device_key.secret_key.empty()) return fail("export: no device key to sign with");
  if (hq_public_key.size() != sealing::kBoxKeyBytes) return fail("export: no headquarters key to seal to");
  const std::string header = nlohmann::json{{"shelter_checkin_export", kUsbSealedVersion},
                                            {"device", x.device_id},
                                            {"shelter", x.shelter_id},
                                            {"events", x.events.size()},
                                            {"device_key", device_key.key_id()},
                                            {"hq_key", signing::key_id(hq_public_key)}}
                                 .dump() +
                             "\n";
  std::string inner;
  for (const auto& e : x.events) inner += to_json(e).dump() + "\n";
  const std::string signature = signing::sign(device_key, kUsbSignContext + header + inner);
  nlohmann::json trailer{{"signature", signing::to_hex(signature)}};
  if (!x.staff_signatures.empty()) {
    nlohmann::json staff = nlohmann::json::object();
    for (const auto& [id, sig] : x.staff_signatures) staff[id] = signing::to_hex(sig);
    trailer["staff_signatures"] = std::move(staff);
  }
  if (!x.volunteers.empty()) {
    nlohmann::json vs = nlohmann::json::array();
    for (const auto& v : x.volunteers)
      vs.push_back({{"name", v.name},
                    {"role", v.role},
                    {"key", signing::to_hex(v.public_key)},
                    {"vouched_by", v.vouched_by},
                    {"vouch", signing::to_hex(v.vouch)}});
    trailer["volunteers_signature"] = signing::to_hex(signing::sign(device_key, kUsbVolunteersContext + vs.dump()));
    trailer["volunteers"] = std::move(vs);
  }
  inner += trailer.dump() + "\n";
  auto sealed = sealing::seal(hq_public_key, inner);
  sodium_memzero(inner.data(), inner.size());
  if (!sealed) return sealed.error().context("export");
  return header + *sealed;
}

Result<UsbExport> open_usb_export(std::string_view file, const sealing::BoxKeyPair& hq, const DeviceKeyLookup& key_of) {
  auto h = read_usb_header(file);
  if (!h) return h.error();
  if (h->version != kUsbSealedVersion)
    return fail(
        "export file: a version 1 file (unsigned, made before the upgrade): export it again at the kiosk, or "
        "import it with --unsigned if it was made before the upgrade");
  if (h->hq_key_id != hq.key_id())
    return fail("export file: sealed to headquarters key " + h->hq_key_id + ", not to this server's key " +
                hq.key_id());
  auto inner = sealing::open(hq, file.substr(h->line.size()));
  if (!inner) return inner.error().context("export file");
  if (inner->empty() || inner->back() != '\n') return fail("export file: no signature line");
  const size_t last_start = inner->size() < 2 ? std::string::npos : inner->rfind('\n', inner->size() - 2);
  const size_t events_end = last_start == std::string::npos ? 0 : last_start + 1;
  auto tail = nlohmann::json::parse(std::string_view(*inner).substr(events_end), nullptr, false);
  if (!tail.is_object() || !tail.contains("signature") || !tail["signature"].is_string())
    return fail("export file: no signature line");
  auto signature = signing::from_hex(tail["signature"].get<std::string>(), signing::kSignatureBytes);
  if (!signature) return signature.error().context("export file: signature");
  auto public_key = key_of(*h);
  if (!public_key) return public_key.error().context("export file");
  const std::string_view events = std::string_view(*inner).substr(0, events_end);
  if (!signing::verify(*public_key, kUsbSignContext + h->line + std::string(events), *signature))
    return fail("export file: the signature does not match device " + h->device_id + "'s key " + h->device_key_id +
                " (altered, or not made by that kiosk)");
  UsbExport x;
  x.device_id = h->device_id;
  x.shelter_id = h->shelter_id;
  if (auto st = parse_events(events, *h, x.events); !st) return st.error();
  if (tail.contains("staff_signatures")) {
    const auto& staff = tail["staff_signatures"];
    if (!staff.is_object()) return fail("export file: staff_signatures must map event ids to signatures");
    for (const auto& [id, hex] : staff.items()) {
      auto sig = hex.is_string() ? signing::from_hex(hex.get<std::string>(), signing::kSignatureBytes)
                                 : Result<std::string>(fail("not text"));
      if (!sig) return fail("export file: the staff signature of " + id + ": " + sig.error().message);
      x.staff_signatures[id] = std::move(*sig);
    }
  }
  if (tail.contains("volunteers")) {
    // Signed by the device on their own: a file without them (or from an
    // older kiosk) stays valid, one with them altered does not.
    const auto& vs = tail["volunteers"];
    auto vsig = tail.contains("volunteers_signature") && tail["volunteers_signature"].is_string()
                    ? signing::from_hex(tail["volunteers_signature"].get<std::string>(), signing::kSignatureBytes)
                    : Result<std::string>(fail("missing"));
    if (!vs.is_array() || !vsig || !signing::verify(*public_key, kUsbVolunteersContext + vs.dump(), *vsig))
      return fail("export file: the volunteers' keys are not signed by device " + h->device_id);
    for (const auto& v : vs) {
      auto text = [&](const char* f) {
        return v.is_object() && v.contains(f) && v[f].is_string() ? v[f].get<std::string>() : std::string();
      };
      auto key = signing::from_hex(text("key"), signing::kPublicKeyBytes);
      if (!key) return fail("export file: a volunteer's key: " + key.error().message);
      std::string vouch;
      if (!text("vouch").empty()) {
        auto sig = signing::from_hex(text("vouch"), signing::kSignatureBytes);
        if (!sig) return fail("export file: a volunteer's vouch: " + sig.error().message);
        vouch = std::move(*sig);
      }
      x.volunteers.push_back({text("name"), text("role"), std::move(*key), text("vouched_by"), std::move(vouch)});
    }
  }
  return x;
}

Result<UsbExport> collect_unsynced(Store& store, bool all) {
  std::int64_t after = 0;
  if (!all) {
    auto pushed = store.sync_pushed_seq();
    if (!pushed) return pushed.error();
    after = *pushed;
  }
  UsbExport x;
  x.device_id = store.device_id();
  x.shelter_id = store.shelter_id();
  for (;;) {
    std::int64_t scanned = after;
    // Without `all`: what the daemon would push to the city, own events,
    // those of this shelter imported here from another kiosk's file and
    // those pulled from the shelter's hub, which the hub may not have
    // relayed yet (an out in the file depends on their arrival).
    auto page = all ? store.events_after(after, 5000) : store.pushable_after(after, 5000, &scanned, true);
    if (!page) return page.error();
    if (all && !page->empty()) scanned = page->back().first;
    if (scanned == after) break;
    after = scanned;
    for (auto& [seq, e] : *page) {
      e.clamp = 0;  // a clamp is the server's to give
      x.events.push_back(std::move(e));
    }
  }
  auto sigs = store.staff_signatures(x.events);
  if (!sigs) return sigs.error();
  x.staff_signatures = std::move(*sigs);
  // The volunteers the server has not registered: their staff events are
  // checked against these keys at headquarters.
  auto pending = volunteers_to_register(store);
  if (!pending) return pending.error().context("volunteers");
  for (const auto& v : *pending) {
    auto key = signing::from_hex(v.public_key, signing::kPublicKeyBytes);
    if (!key) continue;  // no key (made before volunteers had keys): nothing to carry
    std::string vouch;
    if (!v.vouch.empty())
      if (auto sig = signing::from_hex(v.vouch, signing::kSignatureBytes); sig) vouch = std::move(*sig);
    x.volunteers.push_back({v.name, std::string(to_string(v.role)), std::move(*key), v.vouched_by, std::move(vouch)});
  }
  return x;
}

Result<int> import_usb_export(Store& store, const UsbExport& x) {
  int added = 0;
  // In batches: one transaction each, so a huge file does not hold the
  // database for minutes; a batch is all-or-nothing and re-importing skips
  // what is already there.
  for (size_t i = 0; i < x.events.size(); i += 5000) {
    std::vector<Event> batch(x.events.begin() + static_cast<std::ptrdiff_t>(i),
                             x.events.begin() + static_cast<std::ptrdiff_t>(std::min(x.events.size(), i + 5000)));
    auto n = store.apply_remote(batch, "import");
    if (!n) return n.error().context("import events " + std::to_string(i + 1) + "-" + std::to_string(i + batch.size()));
    added += *n;
  }
  return added;
}

}  // namespace shelter

namespace shelter {

Result<std::optional<signing::TrustedKey>> headquarters_key(Store& store) {
  auto keys = store.trusted_keys();
  if (!keys) return keys.error();
  std::optional<signing::TrustedKey> found;
  for (const auto& k : *keys)
    if (k.kind == "hq" && !k.revoked) found = k;
  return found;
}

Result<std::string> make_sealed_export(Store& store, bool all, size_t& events) {
  auto hq = headquarters_key(store);
  if (!hq) return hq.error().context("export");
  if (!*hq)
    return fail(
        "export: this kiosk has no headquarters key yet, so it cannot seal a file that only headquarters can open: "
        "sync it once with the server (headquarters makes the key with shelter-server hq-key), or, with no network, "
        "take headquarters' public key file: shelterctl trust-hq-key FILE (shelter-server hq-key --public-out FILE)");
  auto key = ensure_device_key(secrets_path(store.path()));
  if (!key) return key.error().context("export");
  auto x = collect_unsynced(store, all);
  if (!x) return x.error();
  events = x->events.size();
  return seal_usb_export(*x, *key, (*hq)->public_key);
}

std::string relay_dir(const std::string& db_path) {
  return db_path + ".relay";
}

Result<std::string> queue_for_relay(Store& store, std::string_view file) {
  return queue_for_relay(store.path(), store.shelter_id(), file);
}

Result<std::string> queue_for_relay(const std::string& db_path, const std::string& shelter_id, std::string_view file) {
  namespace fs = std::filesystem;
  auto h = read_usb_header(file);
  if (!h) return h.error();
  if (h->version != kUsbSealedVersion)
    return fail("a version 1 file (unsigned) is not relayed: export it again at its kiosk with this version");
  if (h->shelter_id != shelter_id)
    return fail("the file is of shelter " + h->shelter_id + ", this kiosk is at " + shelter_id +
                ": carry it to headquarters (shelter-server import)");
  if (file.size() > kMaxRelayBytes)
    return fail("the file is over " + std::to_string(kMaxRelayBytes >> 20) +
                " MiB, more than a kiosk relays: carry it to headquarters (shelter-server import)");
  const std::string dir = relay_dir(db_path);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail("relay: create " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  unsigned char hash[8];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(file.data()), file.size(), nullptr, 0);
  const std::string suffix = "-" + signing::to_hex(std::string_view(reinterpret_cast<const char*>(hash), sizeof hash));
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.find(suffix) != std::string::npos) return e.path().string();  // queued (or refused) before
  }
  char stamp[24];
  std::snprintf(stamp, sizeof stamp, "%013lld", static_cast<long long>(system_millis()));
  const std::string path = (fs::path(dir) / (stamp + suffix + ".usb")).string();
  if (auto st = write_file_atomic(path, file, 0600); !st) return st.error().context("relay");
  return path;
}

std::vector<std::string> relay_queue(const std::string& db_path) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(relay_dir(db_path), ec))
    if (e.path().extension() == ".usb") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace shelter
