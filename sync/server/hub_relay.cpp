// The hub's relay to the city (hub_relay.hpp): a client of the city like a
// kiosk's daemon, whose pushes carry its kiosks' events, not its own.
#include "sync/server/hub_relay.hpp"

#include <httplib.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "core/fs_util.hpp"
#include "core/secrets.hpp"
#include "core/sqlite.hpp"
#include "core/usb_export.hpp"
#include "sync/server/routes.hpp"

#include <nlohmann/json.hpp>

namespace shelter::sync {

namespace {
constexpr const char* kShelterMeta = "hub_shelter";
constexpr const char* kDeviceMeta = "hub_device";
constexpr const char* kCityMeta = "hub_city";
constexpr const char* kCityCaMeta = "hub_city_ca";
constexpr const char* kRelaySeqMeta = "hub_relay_seq";           // local log position relayed up to
constexpr const char* kCityCursorMeta = "hub_city_cursor";       // the city's feed position pulled up to
constexpr const char* kStateMeta = "hub_relay_state";            // "ok ..." / "error ..."
constexpr const char* kLastRelayMeta = "hub_last_relay";         // ms of the last round that reached the city
constexpr const char* kVolunteersMeta = "hub_volunteers_sent";   // key ids answered by the city, space-separated
constexpr const char* kClockOffsetMeta = "hub_clock_offset_ms";  // the city's clock minus the hub's system clock
// Kiosks' pushes are stored with this origin (Store::admit); the city's feed with kFromCity.
constexpr const char* kFromKiosks = "push";
constexpr const char* kFromCity = "city";

std::string text_meta(Store& s, const char* key) {
  auto v = s.meta(key);
  return v && v->has_value() ? **v : std::string();
}

std::string said(const char* what, const WireReply& r) {
  return std::string(what) + ": the city said " + std::to_string(r.status) + ": " + error_message(r.body);
}
}  // namespace

Result<std::optional<HubSettings>> load_hub_settings(ServerStore& st) {
  std::optional<HubSettings> out;
  if (!st.has_local_store()) return out;  // PostgreSQL: a city server, never a hub
  auto done = st.with_local_store([&](Store& s) -> Status {
    HubSettings h{text_meta(s, kShelterMeta), text_meta(s, kDeviceMeta), text_meta(s, kCityMeta),
                  text_meta(s, kCityCaMeta)};
    if (!h.shelter_id.empty()) out = std::move(h);
    return {};
  });
  if (!done) return done.error().context("hub settings");
  return out;
}

Status save_hub_settings(ServerStore& st, const HubSettings& h) {
  if (!is_valid_slug(h.shelter_id)) return fail("hub: shelter id must be 1-32 of a-z 0-9 - _");
  if (!is_valid_slug(h.device_id)) return fail("hub: device id must be 1-32 of a-z 0-9 - _");
  return st
      .with_local_store([&](Store& s) -> Status {
        auto old = text_meta(s, kShelterMeta);
        if (!old.empty() && old != h.shelter_id)
          return fail("this hub serves shelter " + old + "; a hub for another shelter needs its own database");
        for (const auto& [k, v] : {std::pair{kShelterMeta, h.shelter_id}, std::pair{kDeviceMeta, h.device_id},
                                   std::pair{kCityMeta, h.city}, std::pair{kCityCaMeta, h.city_ca}})
          if (auto st = s.set_meta(k, v); !st) return st;
        return {};
      })
      .context("hub settings");
}

namespace {
// The city's refusals of kiosk events the hub had acknowledged, in the order
// they came, for the kiosks (GET /v1/pull's refused): a kiosk syncing with
// the city directly learns them from its push reply; through a hub, here.
constexpr const char* kRefusalTable =
    "CREATE TABLE IF NOT EXISTS hub_refusal(n INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
    "code TEXT NOT NULL, reason TEXT NOT NULL, expected_seq INTEGER NOT NULL)";
}  // namespace

namespace {
// Clamps the city set on events this hub holds without one: kept, and
// queued for the kiosks that pulled the events before (hub_refusal, code
// "clamp"), so that every node folds the event at one time.
Status note_clamps(Store& s, const std::vector<std::pair<std::string, Hlc>>& clamps) {
  if (clamps.empty()) return {};
  if (auto made = s.db().exec(kRefusalTable); !made) return made;
  auto unset = s.db().prepare("SELECT 1 FROM event WHERE id = ?1 AND clamp = 0 AND hlc > ?2");
  auto keep = s.db().prepare(
      "INSERT INTO hub_refusal(id, code, reason, expected_seq) VALUES(?1, 'clamp', '', ?2) ON CONFLICT(id) DO NOTHING");
  if (!unset || !keep) return fail(s.db().errmsg());
  std::vector<std::pair<std::string, Hlc>> learnt;
  for (const auto& [id, clamp] : clamps) {
    (*unset)->bind(1, id).bind(2, static_cast<std::int64_t>(clamp));
    auto row = (*unset)->step();
    if (!row) return row.error();
    const bool fresh = *row;
    (*unset)->reset();
    if (!fresh) continue;
    learnt.emplace_back(id, clamp);
    (*keep)->bind(1, id).bind(2, static_cast<std::int64_t>(clamp));
    if (auto st = (*keep)->run(); !st) return st;
    (*keep)->reset();
  }
  return s.apply_clamps(learnt);
}
}  // namespace

Status hub_refusals_after(ServerStore& st, std::int64_t after, PullReply& reply) {
  reply.refused_next = after;
  auto settings = load_hub_settings(st);
  if (!settings) return settings.error();
  if (!*settings) return {};
  return st.with_local_store([&](Store& s) -> Status {
    if (auto made = s.db().exec(kRefusalTable); !made) return made;
    auto q =
        s.db().prepare("SELECT n, id, code, reason, expected_seq FROM hub_refusal WHERE n > ?1 ORDER BY n LIMIT ?2");
    if (!q) return q.error();
    (*q)->bind(1, after).bind(2, static_cast<std::int64_t>(kMaxBatchEvents));
    return (*q)->each_row([&](sql::Stmt& r) -> Status {
      reply.refused_next = r.i64(0);
      if (r.text(2) == "clamp")
        reply.clamped.emplace_back(r.text(1), static_cast<Hlc>(r.i64(4)));
      else
        reply.refused.push_back({r.text(1), r.text(2), r.text(3), r.i64(4)});
      return {};
    });
  });
}

Result<HubLinkState> hub_link_state(ServerStore& st) {
  HubLinkState out;
  auto done = st.with_local_store([&](Store& s) -> Status {
    out.state = text_meta(s, kStateMeta);
    auto last = s.meta_int(kLastRelayMeta);
    if (!last) return last.error();
    if (*last > 0) out.last_relay_ms = *last;
    auto cursor = s.meta_int(kRelaySeqMeta);
    if (!cursor) return cursor.error();
    auto waiting = s.origin_count(kFromKiosks, *cursor);
    if (!waiting) return waiting.error();
    out.waiting = *waiting;
    return {};
  });
  if (!done) return done.error().context("hub link");
  return out;
}

struct HubRelay::Impl {
  httplib::Client client;
  std::string token;
  explicit Impl(const std::string& url) : client(url) {}
};

HubRelay::HubRelay(ServerStore& hub, HubSettings settings, HubRelayOptions options)
    : impl_(new Impl(settings.city.empty() ? "https://city.invalid" : settings.city)),
      hub_(hub),
      settings_(std::move(settings)),
      options_(std::move(options)) {
  impl_->client.set_connection_timeout(options_.timeout_seconds);
  impl_->client.set_read_timeout(options_.timeout_seconds);
  impl_->client.set_write_timeout(options_.timeout_seconds);
  impl_->client.enable_server_certificate_verification(true);
  if (!settings_.city_ca.empty()) impl_->client.set_ca_cert_path(settings_.city_ca);
  impl_->client.set_compress(true);
  impl_->client.set_decompress(true);
  (void)hub_.with_local_store([&](Store& s) -> Status {
    auto secrets = load_secrets(secrets_path(s.path()));
    if (secrets) impl_->token = secrets->sync_token;
    // The offset measured before a restart holds until the city answers again.
    if (auto offset = s.meta_int(kClockOffsetMeta); offset && *offset != 0) hub_.set_clock_offset_ms(*offset);
    return {};
  });
}

void HubRelay::note_city_time(std::int64_t t0, std::int64_t t1, std::int64_t city_ms) {
  const std::int64_t rtt = t1 - t0;
  if (city_ms <= 0 || rtt < 0 || rtt > 10'000) return;  // a held-back reply says too little
  const std::int64_t offset = city_ms - (t0 + t1) / 2;
  const std::int64_t before = hub_.now_ms() - system_millis();
  if (std::llabs(offset - before) < 1000) return;  // within a second: nothing worth a write
  hub_.set_clock_offset_ms(offset);
  (void)hub_.with_local_store([&](Store& s) { return s.set_meta(kClockOffsetMeta, std::to_string(offset)); });
  if (std::llabs(offset) > kFutureSlackMs)
    log_line("hub: this box's clock is " + std::to_string(offset / 60000) +
             " min off the city's; the hub answers its kiosks with the city's time");
}

HubRelay::~HubRelay() = default;

Result<WireReply> HubRelay::send(const std::string& method, const std::string& path, const std::string& body) {
  if (options_.transport) return options_.transport(WireRequest{method, path, body, impl_->token});
  const httplib::Headers headers{{"X-Shelter-Time", std::to_string(options_.clock())},
                                 {"Authorization", "Bearer " + impl_->token}};
  auto res = method == "GET" ? impl_->client.Get(path.c_str(), headers)
                             : impl_->client.Post(path.c_str(), headers, body, "application/json");
  if (!res)
    return fail("cannot reach the city server " + settings_.city + " (" + httplib::to_string(res.error()) + ")");
  return WireReply{res->status, res->body};
}

Status HubRelay::enrol(const std::string& code) {
  std::string secrets, public_key;
  if (auto st = hub_.with_local_store([&](Store& s) -> Status {
        secrets = secrets_path(s.path());
        return {};
      });
      !st)
    return st.error().context("hub enrol");
  auto key = ensure_device_key(secrets);
  if (!key) return key.error().context("hub enrol");
  const nlohmann::json request{
      {"code", code}, {"device", settings_.device_id}, {"public_key", signing::to_hex(key->public_key)}};
  auto res = send("POST", "/v1/enrol", request.dump());
  if (!res) return res.error().context("hub enrol");
  if (res->status != 200) return fail(said("hub enrol", *res));
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (!j.is_object() || !j.contains("token") || !j["token"].is_string() || !j.contains("shelter") ||
      !j["shelter"].is_string())
    return fail("hub enrol: malformed reply");
  if (j["shelter"].get<std::string>() != settings_.shelter_id)
    return fail("hub enrol: the code is for shelter " + j["shelter"].get<std::string>() + ", this hub serves " +
                settings_.shelter_id);
  const std::string token = j["token"].get<std::string>();
  if (auto st = update_secrets(secrets,
                               [&](DeviceSecrets& s) {
                                 s.sync_token = token;
                                 return true;
                               });
      !st)
    return st.error().context("hub enrol");
  impl_->token = token;
  return {};
}

// The kiosks enrolled here (their keys, for a city that has not seen them:
// the hub enrolled them while the city was out of reach) and when each last
// synced here, for the city's dashboard.
Status HubRelay::report_kiosks(RelayReport& report) {
  nlohmann::json kiosks = nlohmann::json::array();
  std::map<std::string, std::string> keys;  // device -> public key hex
  if (auto st = hub_.with_local_store([&](Store& s) -> Status {
        auto q = s.db().prepare(
            "SELECT k.device_id, k.public_key FROM signing_key k WHERE k.kind = 'device' AND k.revoked = 0 AND "
            "EXISTS(SELECT 1 FROM auth_token t WHERE t.kind = 'kiosk' AND t.device_id = k.device_id)");
        if (!q) return q.error();
        return (*q)->each_row([&](sql::Stmt& r) -> Status {
          keys[r.text(0)] = r.text(1);
          return {};
        });
      });
      !st)
    return st.error().context("hub report");
  auto devices = hub_.devices();
  if (!devices) return devices.error().context("hub report");
  std::set<std::string> seen;
  auto ms = [](const std::optional<std::int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
  for (const auto& d : *devices) {
    if (d.shelter_id != settings_.shelter_id) continue;
    nlohmann::json k{{"device", d.device_id}, {"last_push", ms(d.last_push_ms)}, {"last_pull", ms(d.last_pull_ms)}};
    if (auto it = keys.find(d.device_id); it != keys.end()) k["public_key"] = it->second;
    kiosks.push_back(std::move(k));
    seen.insert(d.device_id);
  }
  for (const auto& [device, key] : keys)
    if (!seen.count(device)) kiosks.push_back({{"device", device}, {"public_key", key}});
  auto waiting = hub_link_state(hub_);
  if (!waiting) return waiting.error().context("hub report");
  const nlohmann::json body{{"v", kProtocolVersion}, {"kiosks", kiosks}, {"waiting", waiting->waiting}};
  auto res = send("POST", "/v1/hub/report", body.dump());
  if (!res) return res.error().context("hub report");
  if (res->status != 200) return fail(said("hub report", *res));
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (j.is_object() && j.contains("registered") && j["registered"].is_number_integer())
    report.kiosks_registered = j["registered"].get<int>();
  return {};
}

// Volunteers' keys the hub's kiosks registered here go to the city, vouched
// for by the hub (it checked the leads' vouches itself), so that their
// staff events verify there too.
Status HubRelay::relay_volunteers() {
  std::vector<VolunteerKey> pending;
  std::string sent;
  if (auto st = hub_.with_local_store([&](Store& s) -> Status {
        sent = text_meta(s, kVolunteersMeta);
        auto q = s.db().prepare(
            "SELECT key_id, name, role, public_key FROM volunteer_key WHERE shelter_id = ?1 AND revoked = 0 AND "
            "vouched_by <> 'city' ORDER BY role = 'volunteer', created, key_id");
        if (!q) return q.error();
        (*q)->bind(1, settings_.shelter_id);
        return (*q)->each_row([&](sql::Stmt& r) -> Status {
          if (sent.find(r.text(0)) != std::string::npos) return {};
          auto raw = signing::from_hex(r.text(3), signing::kPublicKeyBytes);
          if (!raw) return raw.error();
          if (pending.size() < kMaxVolunteersPerRequest)
            pending.push_back({r.text(1), r.text(2), *raw, Principal::kHubRole, ""});
          return {};
        });
      });
      !st)
    return st.error().context("relay volunteers");
  if (pending.empty()) return {};
  auto res = send("POST", "/v1/volunteers", encode(VolunteersRequest{settings_.device_id, pending}));
  if (!res) return res.error().context("relay volunteers");
  if (res->status != 200) return fail(said("relay volunteers", *res));
  auto answers = decode_volunteers_reply(res->body);
  if (!answers) return answers.error().context("relay volunteers");
  for (const auto& a : *answers) sent += " " + signing::key_id(a.public_key);  // refused ones are not sent again
  return hub_.with_local_store([&](Store& s) { return s.set_meta(kVolunteersMeta, sent); }).context("relay volunteers");
}

Result<int> HubRelay::push_batch(bool& more, int& refused) {
  PushRequest req{settings_.device_id, {}, {}};
  std::int64_t cursor = 0, last = 0;
  if (auto st = hub_.with_local_store([&](Store& s) -> Status {
        auto c = s.meta_int(kRelaySeqMeta);
        if (!c) return c.error();
        cursor = *c;
        auto page = s.origin_after(kFromKiosks, cursor, options_.batch, &last);
        if (!page) return page.error();
        for (auto& [seq, e] : *page) req.events.push_back(std::move(e));
        auto sigs = s.staff_signatures(req.events);
        if (!sigs) return sigs.error();
        req.staff_signatures = std::move(*sigs);
        return {};
      });
      !st)
    return st.error().context("relay");
  more = last != cursor;
  if (!more) return 0;
  const std::int64_t t0 = system_millis();
  auto res = send("POST", "/v1/push", encode(req));
  if (!res) return res.error().context("relay");
  if (res->status != 200) return fail(said("relay", *res));
  auto reply = decode_push_reply(res->body);
  if (!reply) return reply.error().context("relay");
  if (!options_.transport) note_city_time(t0, system_millis(), reply->server_time_ms);
  std::set<std::string> answered(reply->acknowledged.begin(), reply->acknowledged.end());
  for (const auto& f : reply->refused) answered.insert(f.id);
  for (const auto& e : req.events)
    if (!answered.count(e.id)) return fail("relay: the city did not answer for event " + e.id);
  if (auto st = hub_.with_local_store([&](Store& s) -> Status {
        if (auto st = note_clamps(s, reply->clamped); !st) return st;
        // The city's refusal is final, as at a kiosk: kept with its reason,
        // the event left out of the hub's fold, and the kiosks told at
        // their next pull (the writer of a seq_taken event records it again).
        if (auto made = s.db().exec(kRefusalTable); !made) return made;
        auto keep = s.db().prepare(
            "INSERT INTO hub_refusal(id, code, reason, expected_seq) VALUES(?1, ?2, ?3, ?4) ON CONFLICT(id) DO "
            "NOTHING");
        if (!keep) return keep.error();
        for (const auto& f : reply->refused) {
          if (auto st = s.note_refused(f.id, f.code, f.reason, false, 0); !st) return st;
          (*keep)->bind(1, f.id).bind(2, f.code).bind(3, f.reason).bind(4, f.expected_seq);
          if (auto st = (*keep)->run(); !st) return st;
          (*keep)->reset();
        }
        return s.set_meta(kRelaySeqMeta, std::to_string(last));
      });
      !st)
    return st.error().context("relay");
  refused += static_cast<int>(reply->refused.size());
  return static_cast<int>(reply->acknowledged.size());
}

Result<int> HubRelay::pull_batch(bool& more) {
  std::int64_t cursor = 0;
  if (auto st = hub_.with_local_store([&](Store& s) -> Status {
        auto c = s.meta_int(kCityCursorMeta);
        if (!c) return c.error();
        cursor = *c;
        return {};
      });
      !st)
    return st.error().context("pull from the city");
  const std::string path = "/v1/pull?shelter=" + settings_.shelter_id + "&after=" + std::to_string(cursor) +
                           "&limit=" + std::to_string(options_.batch);
  const std::int64_t t0 = system_millis();
  auto res = send("GET", path, "");
  if (!res) return res.error().context("pull from the city");
  if (res->status != 200) return fail(said("pull from the city", *res));
  auto reply = decode_pull_reply(res->body);
  if (!reply) return reply.error().context("pull from the city");
  if (!options_.transport) note_city_time(t0, system_millis(), reply->server_time_ms);
  more = reply->more;
  int added = 0;
  // The city's events are stored as they are, without the write rules: the
  // city judged them against everything it knows, which is more than this
  // hub knows (a correction made at another shelter after a transfer).
  if (auto st = hub_.with_local_store([&](Store& s) -> Status {
        std::vector<std::pair<std::string, Hlc>> clamps;
        for (const auto& e : reply->events)
          if (e.clamp != 0) clamps.emplace_back(e.id, e.clamp);
        if (auto st = note_clamps(s, clamps); !st) return st;  // events it held already
        auto n = s.apply_remote(reply->events, kFromCity);
        if (!n) return n.error();
        added = *n;
        if (auto st = s.keep_staff_signatures(reply->staff_signatures); !st) return st;
        return s.set_meta(kCityCursorMeta, std::to_string(reply->next_cursor));
      });
      !st)
    return st.error().context("pull from the city");
  return added;
}

// Sealed USB files its kiosks relayed (POST /v1/import at the hub): the hub
// cannot open them; the city opens, checks and imports each, and its events
// come back in the city's feed. A file refused whole is kept as *.refused.
Status HubRelay::relay_files() {
  std::string db_path;
  if (auto st = hub_.with_local_store([&](Store& s) -> Status {
        db_path = s.path();
        return {};
      });
      !st)
    return st;
  for (const auto& path : relay_queue(db_path)) {
    auto bytes = read_file_bytes(path, kMaxRelayBytes + 1);
    if (!bytes) return bytes.error().context("relay USB file");
    auto res = send("POST", "/v1/import", *bytes);
    if (!res) return res.error().context("relay USB file");
    std::error_code ec;
    if (res->status == 200) {
      std::filesystem::remove(path, ec);
    } else if (res->status == 400 || res->status == 403 || res->status == 413) {
      std::filesystem::rename(path, path + ".refused", ec);
      log_line("hub: the city refused a USB file: " + error_message(res->body));
    } else {
      return fail(said("relay USB file", *res));
    }
  }
  return {};
}

// The keys every kiosk trusts: the hub's own list (its kiosks) and the
// city's (other shelters' kiosks, card keys, headquarters' key), so that a
// pass printed anywhere verifies at the hub's kiosks. Revocations win.
Status HubRelay::adopt_keys() {
  auto res = send("GET", "/v1/keys", "");
  if (!res) return res.error().context("keys");
  if (res->status != 200) return fail(said("keys", *res));
  auto reply = decode_keys_reply(res->body);
  if (!reply) return reply.error().context("keys");
  return hub_
      .with_local_store([&](Store& s) -> Status {
        auto tx = sql::Tx::begin(s.db());
        if (!tx) return tx.error();
        auto q = s.db().prepare(
            "INSERT INTO signing_key(key_id, kind, device_id, shelter_id, public_key, revoked, created) "
            "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(key_id) DO UPDATE SET revoked = max(revoked, ?6)");
        if (!q) return q.error();
        for (const auto& k : reply->keys) {
          (*q)->bind(1, k.key_id).bind(2, k.kind).bind(3, k.device_id).bind(4, k.shelter_id);
          (*q)->bind(5, signing::to_hex(k.public_key)).bind(6, std::int64_t{k.revoked});
          (*q)->bind(7, reply->server_time_ms / 1000);
          if (auto st = (*q)->run(); !st) return st;
          (*q)->reset();
        }
        return (*tx)->commit();
      })
      .context("keys");
}

// The shelter's volunteers' keys the city holds (leads registered by a
// kiosk that synced with the city before the hub came), so that their
// staff events verify here.
Status HubRelay::adopt_volunteers() {
  auto res = send("GET", "/v1/hub/volunteers", "");
  if (!res) return res.error().context("volunteer keys");
  if (res->status != 200) return fail(said("volunteer keys", *res));
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (!j.is_object() || !j.contains("volunteers") || !j["volunteers"].is_array())
    return fail("volunteer keys: malformed reply");
  return hub_
      .with_local_store([&](Store& s) -> Status {
        auto tx = sql::Tx::begin(s.db());
        if (!tx) return tx.error();
        auto q = s.db().prepare(
            "INSERT INTO volunteer_key(key_id, shelter_id, name, role, device_id, public_key, vouched_by, revoked, "
            "created) VALUES(?1, ?2, ?3, ?4, 'city', ?5, 'city', ?6, 0) "
            "ON CONFLICT(key_id) DO UPDATE SET revoked = max(revoked, ?6)");
        if (!q) return q.error();
        for (const auto& v : j["volunteers"]) {
          auto text = [&](const char* k) { return v.contains(k) && v[k].is_string() ? v[k].get<std::string>() : ""; };
          auto raw = signing::from_hex(text("public_key"), signing::kPublicKeyBytes);
          if (!raw || (text("role") != "lead" && text("role") != "volunteer")) continue;
          const bool revoked = v.contains("revoked") && v["revoked"].is_boolean() && v["revoked"].get<bool>();
          (*q)->bind(1, signing::key_id(*raw)).bind(2, settings_.shelter_id).bind(3, text("name"));
          (*q)->bind(4, text("role")).bind(5, signing::to_hex(*raw)).bind(6, std::int64_t{revoked});
          if (auto st = (*q)->run(); !st) return st;
          (*q)->reset();
        }
        return (*tx)->commit();
      })
      .context("volunteer keys");
}

Result<RelayReport> HubRelay::relay_once() {
  if (impl_->token.empty())
    return fail("not enrolled with the city: shelter-server hub-setup --code CODE (a hub code from the city)");
  if (settings_.city.empty() && !options_.transport)
    return fail("no city server: shelter-server hub-setup --city https://...");
  RelayReport report;
  if (auto st = report_kiosks(report); !st) return st.error();
  if (auto st = relay_volunteers(); !st) return st.error();
  for (bool more = true; more;) {
    auto n = push_batch(more, report.refused);
    if (!n) return n.error();
    report.pushed += *n;
  }
  if (auto st = relay_files(); !st) return st.error();
  for (bool more = true; more;) {
    auto n = pull_batch(more);
    if (!n) return n.error();
    report.pulled += *n;
  }
  if (auto st = adopt_keys(); !st) return st.error();
  if (auto st = adopt_volunteers(); !st) return st.error();
  auto link = hub_link_state(hub_);
  if (link) report.waiting = link->waiting;
  return report;
}

void HubRelay::record_state(const Result<RelayReport>& result) {
  const std::string now = utc_now("%Y-%m-%d %H:%M:%SZ");
  (void)hub_.with_local_store([&](Store& s) -> Status {
    if (result) {
      std::ostringstream state;
      state << "ok " << now << " (relayed " << result->pushed << ", received " << result->pulled << ")";
      if (result->refused > 0) state << "; " << result->refused << " refused by the city";
      (void)s.set_meta(kLastRelayMeta, std::to_string(options_.clock()));
      return s.set_meta(kStateMeta, state.str());
    }
    return s.set_meta(kStateMeta, "error " + now + ": " + result.error().message);
  });
}

}  // namespace shelter::sync
