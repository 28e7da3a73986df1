#include "core/usb_export.hpp"

#include <sodium.h>

#include "core/store.hpp"

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
  UsbExport x;
  size_t pos = body.find('\n');
  auto header = nlohmann::json::parse(body.substr(0, pos), nullptr, false);
  // Each field checked for its type first: nlohmann's value() throws on a
  // string where a number belongs, and casts a huge number unsafely.
  auto whole = [&](const char* key) -> std::int64_t {
    auto it = header.is_object() ? header.find(key) : header.end();
    return it != header.end() && it->is_number_integer() ? it->get<std::int64_t>() : -1;
  };
  auto text_of = [&](const char* key) {
    auto it = header.find(key);
    return it != header.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (!header.is_object() || whole("shelter_checkin_export") != kFormatVersion)
    return fail("export file: not a shelter check-in export of version " + std::to_string(kFormatVersion));
  x.device_id = text_of("device");
  x.shelter_id = text_of("shelter");
  const std::int64_t expected = whole("events");
  if (expected < 0) return fail("export file: the header does not say how many events");
  if (expected > static_cast<std::int64_t>(kMaxEvents)) return fail("export file: too many events");
  ++pos;
  while (pos < body.size()) {
    const size_t end = body.find('\n', pos);
    auto j = nlohmann::json::parse(body.substr(pos, end - pos), nullptr, false);
    auto e = event_from_json(j);  // validated there
    if (!e) return e.error().context("export file: event " + std::to_string(x.events.size() + 1));
    x.events.push_back(std::move(e).value());
    pos = end + 1;
  }
  if (static_cast<std::int64_t>(x.events.size()) != expected)
    return fail("export file: header says " + std::to_string(expected) + " events, found " +
                std::to_string(x.events.size()));
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
    // Without `all`: what the daemon would push, own events and those of
    // this shelter imported here from another kiosk's file.
    auto page = all ? store.events_after(after, 5000) : store.pushable_after(after, 5000, &scanned);
    if (!page) return page.error();
    if (all && !page->empty()) scanned = page->back().first;
    if (scanned == after) break;
    after = scanned;
    for (auto& [seq, e] : *page) {
      e.clamp = 0;  // a clamp is the server's to give
      x.events.push_back(std::move(e));
    }
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
