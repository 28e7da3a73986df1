#include "sync/daemon/syncer.hpp"

#include <httplib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>
#include <set>

#include "core/fs_util.hpp"
#include "core/secrets.hpp"
#include "core/sqlite.hpp"
#include "core/usb_export.hpp"
#include "core/volunteers.hpp"
#include "sync/protocol.hpp"

#include <nlohmann/json.hpp>

namespace shelter::sync {

namespace {
// What a volunteer reading the staff screen can act on, with httplib's name.
std::string link_error(httplib::Error e, bool hub) {
  const std::string name = " (" + httplib::to_string(e) + ")";
  switch (e) {
    case httplib::Error::Connection:
      return "cannot reach the server: no network, or the server is down" + name;
    case httplib::Error::ConnectionTimeout:
      return "connecting to the server timed out" + name;
    case httplib::Error::Read:
      return "the connection broke or timed out while waiting for the reply" + name;
    case httplib::Error::Write:
      return "the connection broke while sending" + name;
    case httplib::Error::SSLServerVerification:
      if (hub)
        return "the hub's certificate is not signed by the hub CA this kiosk pinned (hub-ca-file), or not for this "
               "address: an impostor on the network, or a new hub box (enrol with it again)" +
               name;
      return "the server's certificate is not signed by the city CA this kiosk trusts (ca-file), or not for this "
             "address: an impostor, or the city changed its CA (enrol again with the new one)" +
             name;
    case httplib::Error::SSLLoadingCerts:
      return "the city CA file (ca-file) cannot be read" + name;
    case httplib::Error::SSLConnection:
      return "TLS failed: is the address https:// to the server's TLS port?" + name;
    default:
      return "request failed" + name;
  }
}

constexpr const char* kPullCursor = "sync_pull_cursor";            // server feed position pulled up to
constexpr const char* kHubPullCursor = "hub_pull_cursor";          // the hub's feed position
constexpr const char* kHubVolunteersMeta = "hub_volunteers_sent";  // key ids the hub answered for
constexpr const char* kHubRefusedCursor = "hub_refused_cursor";    // the hub's refusals (the city's) read up to
constexpr const char* kClockSampleMeta = "clock_offset_sample";    // how the kept offset was measured

std::string utc_now() {
  return shelter::utc_now("%Y-%m-%d %H:%M:%SZ");
}
}  // namespace

struct Syncer::Impl {
  httplib::Client client;
  std::string token;
  explicit Impl(const std::string& url) : client(url) {}
};

// Every request goes through here: HTTP, or the transport the options give.
// This device's own clock goes with it, so the server can show
// headquarters which kiosks have a wrong clock.
Result<WireReply> Syncer::send(const std::string& method, const std::string& path, const std::string& body) {
  if (options_.transport) return options_.transport(WireRequest{method, path, body, impl_->token});
  const httplib::Headers headers{{"X-Shelter-Time", std::to_string(options_.clock())}};
  auto res = method == "GET" ? impl_->client.Get(path.c_str(), headers)
                             : impl_->client.Post(path.c_str(), headers, body, "application/json");
  if (!res) return fail(link_error(res.error(), options_.hub));
  return WireReply{res->status, res->body};
}

// The server's clock against ours, from a reply stamped by the server
// between t0 and t1 (our clock), kept in meta where the store reads it when
// it stamps new events. A sample is off by at most half its round trip, and
// a reply held back on a slow link is off by that much: a sample replaces the
// kept one only if its round trip is about as short, if the two cannot both
// be right (our clock was set), or if the kept one is a quarter hour old.
void Syncer::note_server_time(std::int64_t t0, std::int64_t t1, std::int64_t server_ms) {
  const std::int64_t rtt = t1 - t0;
  if (server_ms <= 0 || rtt < 0 || rtt > 10'000) return;
  const std::int64_t offset = server_ms - (t0 + t1) / 2;
  auto kept = store_.meta_int(kClockOffsetMeta);
  auto sample = store_.meta(kClockSampleMeta);  // "<rtt> <local ms when measured>"
  std::int64_t kept_rtt = -1, kept_at = 0;
  if (sample && sample->has_value() && std::sscanf((*sample)->c_str(), "%ld %ld", &kept_rtt, &kept_at) != 2)
    kept_rtt = -1;
  if (kept && kept_rtt >= 0) {
    const bool as_good = rtt <= kept_rtt + 20;
    const bool clock_moved = std::llabs(*kept - offset) > (rtt + kept_rtt) / 2 + 50;
    const bool stale = t1 - kept_at > 15 * 60 * 1000 || t1 < kept_at;
    if (!as_good && !clock_moved && !stale) return;
    if (std::llabs(*kept - offset) < 5 && !stale) return;  // nothing worth a write
  }
  (void)store_.set_meta(kClockOffsetMeta, std::to_string(offset));
  (void)store_.set_meta(kClockSampleMeta, std::to_string(rtt) + " " + std::to_string(t1));
}

Status check_server_url(const std::string& url, bool insecure) {
  const bool tls = url.rfind("https://", 0) == 0;
  if (!tls && url.rfind("http://", 0) != 0)
    return fail("server address " + url +
                " must start with https:// (or http:// to this machine), e.g. "
                "https://shelter.city.example:8443");
  if (tls || insecure) return {};
  std::string host = url.substr(7);
  host = host.substr(0, host.find('/'));
  if (host.starts_with("[")) {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  if (is_loopback_host(host)) return {};
  return fail("server address " + url +
              " is plain HTTP to another machine: the sync token, enrolment codes and "
              "evacuees' records would cross the network readable by anyone on it; use https://, or --insecure "
              "on a network you trust");
}

Syncer::Syncer(Store& store, SyncOptions options)
    : impl_(new Impl(options.server)), store_(store), options_(std::move(options)) {
  impl_->client.set_connection_timeout(options_.timeout_seconds);
  impl_->client.set_read_timeout(options_.timeout_seconds);
  impl_->client.set_write_timeout(options_.timeout_seconds);
  impl_->client.enable_server_certificate_verification(true);  // certificate and host name
  if (!options_.ca_file.empty()) impl_->client.set_ca_cert_path(options_.ca_file);
  impl_->client.set_compress(true);    // gzip request bodies
  impl_->client.set_decompress(true);  // and accept gzip replies
  // The token lives beside the database, never in it (core/secrets.hpp).
  auto secrets = load_secrets(secrets_path(store_.path()));
  if (secrets && !token_of(*secrets).empty()) {
    impl_->token = token_of(*secrets);
    impl_->client.set_bearer_token_auth(impl_->token);
  }
}

const std::string& Syncer::token_of(const DeviceSecrets& s) const {
  return options_.hub ? s.hub_token : s.sync_token;
}

bool Syncer::enrolled() {
  auto secrets = load_secrets(secrets_path(store_.path()));
  return secrets && !token_of(*secrets).empty();
}

Status Syncer::enrol(const std::string& code, const std::pair<std::string, std::string>& lead) {
  // The device's signing key: made now if the kiosk has not made it yet; its
  // public half goes to the server with the code, the secret stays here.
  const std::string secrets = secrets_path(store_.path());
  auto key = ensure_device_key(secrets);
  if (!key) return key.error().context("enrol");
  nlohmann::json request{
      {"code", code}, {"device", store_.device_id()}, {"public_key", signing::to_hex(key->public_key)}};
  if (!lead.first.empty()) request["lead"] = {{"name", lead.first}, {"public_key", signing::to_hex(lead.second)}};
  const std::string body = request.dump();
  const std::int64_t t0 = options_.clock();
  auto res = send("POST", "/v1/enrol", body);
  if (!res) return res.error().context("enrol");
  if (res->status != 200)
    return fail("enrol: server said " + std::to_string(res->status) + ": " + error_message(res->body));
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  if (!j.is_object() || !j.contains("token") || !j["token"].is_string() || !j.contains("shelter") ||
      !j["shelter"].is_string())
    return fail("enrol: malformed reply");
  if (j["shelter"].get<std::string>() != store_.shelter_id())
    return fail("enrol: the code is for shelter " + j["shelter"].get<std::string>() + ", this kiosk is at " +
                store_.shelter_id());
  const std::string token = j["token"].get<std::string>();
  // A replacement tablet under a lost one's id goes on after its events.
  if (j.contains("last_seq") && j["last_seq"].is_number_integer() && j["last_seq"].get<std::int64_t>() > 0)
    if (auto st = store_.set_meta(kDeviceSeqFloorMeta, std::to_string(j["last_seq"].get<std::int64_t>() + 1)); !st)
      return st.error().context("enrol");
  if (auto st = update_secrets(secrets,
                               [&](DeviceSecrets& s) {
                                 (options_.hub ? s.hub_token : s.sync_token) = token;
                                 return true;
                               });
      !st)
    return st.error().context("enrol");
  if (j.contains("time") && j["time"].is_number_integer())
    note_server_time(t0, options_.clock(), j["time"].get<std::int64_t>());
  // Headquarters' box key, to seal USB exports and backups before the first
  // sync round brings the full list.
  if (j.contains("hq_key") && j["hq_key"].is_object()) {
    const auto& k = j["hq_key"];
    auto text = [&](const char* f) { return k.contains(f) && k[f].is_string() ? k[f].get<std::string>() : ""; };
    auto pub = signing::from_hex(text("key"), signing::kPublicKeyBytes);
    if (pub && text("key_id") == signing::key_id(*pub)) {
      auto keys = store_.trusted_keys();
      if (!keys) return keys.error().context("enrol");
      std::erase_if(*keys, [](const signing::TrustedKey& t) { return t.kind == "hq"; });
      keys->push_back({"hq", signing::key_id(*pub), "", "", *pub, false});
      if (auto st = store_.set_trusted_keys(*keys); !st) return st.error().context("enrol");
    }
  }
  // A hub enrolled with is a new server (a replacement box has an empty
  // log): everything is sent to it and its whole feed read, from the start.
  if (options_.hub)
    for (const char* key : {kHubPushedSeqMeta, kHubPullCursor, kHubVolunteersMeta, kHubRefusedCursor})
      if (auto st = store_.set_meta(key, key == kHubVolunteersMeta ? "" : "0"); !st) return st.error().context("enrol");
  impl_->token = token;
  impl_->client.set_bearer_token_auth(token);
  if (!lead.first.empty())
    if (auto st = note_volunteer_registration(store_, lead.first, signing::to_hex(lead.second), "registered"); !st)
      return st.error().context("enrol");
  return {};
}

Status Syncer::register_volunteers() {
  auto pending = options_.hub ? volunteers_for_hub() : volunteers_to_register(store_);
  if (!pending) return pending.error().context("volunteers");
  if (pending->empty()) return {};
  VolunteersRequest req{store_.device_id(), {}};
  for (const auto& v : *pending) {
    auto pub = signing::from_hex(v.public_key, signing::kPublicKeyBytes);
    if (!pub) return pub.error().context("volunteers: key of " + v.name);
    std::string vouch;
    if (!v.vouch.empty()) {
      auto sig = signing::from_hex(v.vouch, signing::kSignatureBytes);
      if (!sig) return sig.error().context("volunteers: vouch for " + v.name);
      vouch = std::move(*sig);
    }
    req.volunteers.push_back({v.name, to_string(v.role), *pub, v.vouched_by, vouch});
    if (req.volunteers.size() == kMaxVolunteersPerRequest) break;  // the rest next round
  }
  auto res = send("POST", "/v1/volunteers", encode(req));
  if (!res) return res.error().context("volunteers");
  if (res->status != 200)
    return fail("volunteers: server said " + std::to_string(res->status) + ": " + error_message(res->body));
  auto answers = decode_volunteers_reply(res->body);
  if (!answers) return answers.error();
  if (options_.hub) {
    // The hub's answers are kept apart: the row's note is the city's.
    auto sent = store_.meta(kHubVolunteersMeta);
    std::string ids = sent && sent->has_value() ? **sent : "";
    for (const auto& a : *answers) ids += " " + signing::key_id(a.public_key);
    return store_.set_meta(kHubVolunteersMeta, ids).context("volunteers");
  }
  for (const auto& a : *answers) {
    const std::string note = a.registered ? "registered" : "refused: " + a.reason;
    if (auto st = note_volunteer_registration(store_, a.name, signing::to_hex(a.public_key), note); !st)
      return st.error().context("volunteers");
  }
  return {};
}

// Every volunteer with a key the hub has not answered for, leads first: a
// hub set up after the city registered them knows none of them.
Result<std::vector<Volunteer>> Syncer::volunteers_for_hub() {
  auto all = list_volunteers(store_);
  if (!all) return all.error();
  auto sent = store_.meta(kHubVolunteersMeta);
  if (!sent) return sent.error();
  const std::string ids = sent->value_or("");
  std::vector<Volunteer> out;
  for (auto& v : *all) {
    auto pub = signing::from_hex(v.public_key, signing::kPublicKeyBytes);
    if (pub && ids.find(signing::key_id(*pub)) == std::string::npos) out.push_back(std::move(v));
  }
  std::stable_sort(out.begin(), out.end(), [](const Volunteer& a, const Volunteer& b) {
    return a.role == VolunteerRole::Lead && b.role != VolunteerRole::Lead;
  });
  return out;
}

Syncer::~Syncer() = default;

Result<std::int64_t> Syncer::backlog() {
  return store_.unsynced_count();
}

Result<int> Syncer::push_batch(bool& more, int& refused) {
  auto pushed = store_.meta_int(options_.hub ? kHubPushedSeqMeta : kSyncPushedSeqMeta);
  if (!pushed) return pushed.error().context("push");
  std::int64_t last = *pushed;
  // Own events and, relayed, events of other devices of this shelter that
  // were imported from a file; pulled events are not sent back.
  auto page = store_.pushable_after(*pushed, options_.batch, &last, !options_.hub);
  if (!page) return page.error().context("push");
  more = last != *pushed;
  if (!more) return 0;
  PushRequest req;
  req.device_id = store_.device_id();
  for (auto& [seq, e] : *page) req.events.push_back(std::move(e));
  std::set<std::string> from_hub;  // origin "hub" (Store::pushable_after)
  if (!options_.hub) {
    auto q = store_.db().prepare("SELECT 1 FROM event WHERE id = ?1 AND origin = 'hub'");
    if (!q) return q.error().context("push");
    for (const auto& e : req.events) {
      if (e.device_id == store_.device_id()) continue;
      (*q)->bind(1, e.id);
      auto row = (*q)->step();
      if (!row) return row.error().context("push");
      if (*row) from_hub.insert(e.id);
      (*q)->reset();
    }
  }
  auto sigs = store_.staff_signatures(req.events);
  if (!sigs) return sigs.error().context("push");
  req.staff_signatures = std::move(*sigs);
  int refused_here = 0;
  if (!req.events.empty()) {
    const std::int64_t t0 = options_.clock();
    auto res = send("POST", "/v1/push", encode(req));
    if (!res) return res.error().context("push");
    if (res->status != 200)
      return fail("push: server said " + std::to_string(res->status) + ": " + error_message(res->body));
    auto reply = decode_push_reply(res->body);
    if (!reply) return reply.error().context("push");
    note_server_time(t0, options_.clock(), reply->server_time_ms);
    // Advance only when the server answered for every event sent: stored
    // (acknowledged) or refused for good.
    std::set<std::string> answered(reply->acknowledged.begin(), reply->acknowledged.end());
    for (const auto& f : reply->refused) answered.insert(f.id);
    for (const auto& e : req.events)
      if (!answered.count(e.id)) return fail("push: the server did not answer for event " + e.id);
    if (!reply->clamped.empty())
      if (auto st = store_.apply_clamps(reply->clamped); !st) return st.error().context("push: clamps");
    // A refused event is kept for staff and never sent again. An own event
    // refused because its seq or id was taken by another (a database copied
    // back from an older file) is recorded again after the server's last
    // seq, so the change it carries still arrives.
    for (const auto& f : reply->refused) {
      ++refused_here;
      const bool own = f.id.rfind(store_.device_id() + ".", 0) == 0;
      // An event of another kiosk pulled from the hub, sent along while the
      // hub is down: the city's answer is about this copy (its volunteer's
      // key may not have reached the city yet). The hub relays the event
      // itself and passes on a refusal that is final.
      if (!own && from_hub.count(f.id)) continue;
      const bool again = own && (f.code == "seq_taken" || f.code == "conflict");  // ours never arrived
      if (auto st = store_.note_refused(f.id, f.code, f.reason, again, f.expected_seq); !st)
        return st.error().context("push: refused event");
      ++refused;
    }
  }
  if (auto st = store_.set_meta(options_.hub ? kHubPushedSeqMeta : kSyncPushedSeqMeta, std::to_string(last)); !st)
    return st.error().context("push");
  return static_cast<int>(req.events.size()) - refused_here;
}

Result<int> Syncer::pull_batch(bool& more, int& refused) {
  const char* cursor_key = options_.hub ? kHubPullCursor : kPullCursor;
  auto cursor = store_.meta_int(cursor_key);
  if (!cursor) return cursor.error().context("pull");
  std::string path = "/v1/pull?shelter=" + store_.shelter_id() + "&after=" + std::to_string(*cursor) +
                     "&limit=" + std::to_string(options_.batch);
  auto refused_cursor = store_.meta_int(kHubRefusedCursor);
  if (!refused_cursor) return refused_cursor.error().context("pull");
  if (options_.hub) path += "&refused_after=" + std::to_string(*refused_cursor);
  const std::int64_t t0 = options_.clock();
  auto res = send("GET", path, "");
  if (!res) return res.error().context("pull");
  if (res->status != 200)
    return fail("pull: server said " + std::to_string(res->status) + ": " + error_message(res->body));
  auto reply = decode_pull_reply(res->body);
  if (!reply) return reply.error().context("pull");
  note_server_time(t0, options_.clock(), reply->server_time_ms);
  more = reply->more;
  // Kept as the hub's: pushed to the city too if this kiosk falls back to it.
  auto added = store_.apply_remote(reply->events, options_.hub ? "hub" : "pull");
  if (!added) return added.error().context("pull: apply");
  // Kept before the cursor moves on: a file of them carries them on.
  if (auto st = store_.keep_staff_signatures(reply->staff_signatures); !st) return st.error().context("pull");
  // Events the hub acknowledged and the city then refused: kept as if the
  // push had been refused, once the last page is in. Before a refusal is
  // noted, every event it may concern is here, and so is a copy this kiosk
  // recorded of a refused event of its own before its database was copied
  // back from an older file (Store::note_refused does not record it twice).
  if (!reply->more) {
    for (const auto& f : reply->refused) {
      const bool own = f.id.rfind(store_.device_id() + ".", 0) == 0;
      const bool again = own && (f.code == "seq_taken" || f.code == "conflict");
      if (auto st = store_.note_refused(f.id, f.code, f.reason, again, f.expected_seq); !st)
        return st.error().context("pull: refused event");
      refused += own;
    }
    if (!reply->clamped.empty())
      if (auto st = store_.apply_clamps(reply->clamped); !st) return st.error().context("pull: clamps");
    if (options_.hub && reply->refused_next > *refused_cursor)
      if (auto st = store_.set_meta(kHubRefusedCursor, std::to_string(reply->refused_next)); !st)
        return st.error().context("pull");
  }
  if (auto st = store_.set_meta(cursor_key, std::to_string(reply->next_cursor)); !st) return st.error().context("pull");
  return *added;
}

// Sealed USB files of another kiosk of this shelter, queued by `shelterctl
// import`: uploaded one by one; the server opens, checks and imports each,
// and its events come back in this round's pull. A file refused whole is
// kept as "*.refused" and named in the sync state for staff.
Status Syncer::relay_files(SyncReport& report) {
  namespace fs = std::filesystem;
  for (const auto& path : relay_queue(store_.path())) {
    auto bytes = read_file_bytes(path, kMaxRelayBytes + 1);
    if (!bytes) return bytes.error().context("relay");
    auto res = send("POST", "/v1/import", *bytes);
    if (!res) return res.error().context("relay");
    std::error_code ec;
    if (res->status == 200) {
      fs::remove(path, ec);
      ++report.relayed_files;
      continue;
    }
    if (res->status == 400 || res->status == 403 || res->status == 413) {
      fs::rename(path, path + ".refused", ec);
      report.relay_refused.push_back(fs::path(path).filename().string() + ": " + error_message(res->body));
      continue;
    }
    return fail("relay: server said " + std::to_string(res->status) + ": " + error_message(res->body));
  }
  return {};
}

// The keys every kiosk trusts (GET /v1/keys), kept in the store, so a pass
// printed at another shelter verifies here offline.
Status Syncer::fetch_keys() {
  auto res = send("GET", "/v1/keys", "");
  if (!res) return res.error().context("keys");
  if (res->status != 200)
    return fail("keys: server said " + std::to_string(res->status) + ": " + error_message(res->body));
  auto reply = decode_keys_reply(res->body);
  if (!reply) return reply.error();
  return store_.set_trusted_keys(reply->keys).context("keys");
}

Result<SyncReport> Syncer::sync_once() {
  auto secrets = load_secrets(secrets_path(store_.path()));
  if (!secrets) return secrets.error();  // a damaged secrets file: say so, not "not enrolled"
  if (token_of(*secrets).empty())
    return fail(options_.hub ? "not enrolled with the shelter's hub: shelterctl enrol --hub (a code from the hub)"
                             : "not enrolled: run shelter-sync --enrol CODE (a code from the server's administrator)");
  SyncReport report;
  std::optional<Error> push_error;
  // Volunteers' keys first: the staff events pushed next are checked with them.
  if (auto st = register_volunteers(); !st) push_error = st.error();
  for (bool more = !push_error; more;) {
    auto n = push_batch(more, report.refused);
    if (!n) {
      push_error = n.error();
      break;
    }
    report.pushed += *n;
  }
  // USB files go up too; a hub, which cannot open them, passes them on.
  if (!push_error)
    if (auto st = relay_files(report); !st) push_error = st.error();
  for (bool more = true; more;) {
    auto n = pull_batch(more, report.refused);
    if (!n) return push_error ? fail(push_error->message + "; " + n.error().message) : n.error();
    report.pulled += *n;
  }
  if (push_error) return *push_error;
  if (auto st = fetch_keys(); !st) return st.error();
  auto b = backlog();
  if (b) report.backlog = *b;
  return report;
}

void Syncer::record_state(const Result<SyncReport>& result) {
  const std::string state_key = options_.hub ? "hub_sync_state" : "sync_state";
  const std::string ok_key = options_.hub ? "hub_sync_last_ok" : "sync_last_ok";
  std::string state;
  if (result) {
    state = "ok " + utc_now() + " (sent " + std::to_string(result->pushed) + ", received " +
            std::to_string(result->pulled) + ")";
    if (result->refused > 0)
      state += "; " + std::to_string(result->refused) + " refused by the server (see refused events)";
    if (result->relayed_files > 0) state += "; relayed " + std::to_string(result->relayed_files) + " USB file(s)";
    for (const auto& why : result->relay_refused) state += "; USB file refused by the server: " + why;
    (void)store_.set_meta(ok_key, utc_now());
  } else {
    auto last = store_.meta(ok_key);
    state = "error " + utc_now() + ": " + result.error().message;
    if (last && last->has_value()) state += "; last success " + **last;
  }
  (void)store_.set_meta(state_key, state);
}

Status Syncer::note_hub_link() {
  auto res = send("GET", "/v1/hub/status", "");
  if (!res) return res.error().context("hub status");
  if (res->status != 200)
    return fail("hub status: server said " + std::to_string(res->status) + ": " + error_message(res->body));
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  // The hub's own words (state, last_relay, waiting) as JSON: the staff
  // screen shows them in the kiosk's language.
  std::string text;
  if (j.is_object() && j.contains("link") && j["link"].is_object()) text = j["link"].dump();
  return store_.set_meta("hub_city_link", text);
}

}  // namespace shelter::sync
