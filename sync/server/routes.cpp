// Every HTTP route of the server as a function request -> reply (routes.hpp).
// The only place the API's JSON bodies are made; the counts' JSON is core's
// counts_to_json.
#include "sync/server/routes.hpp"

#include <algorithm>
#include <ctime>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "core/reports.hpp"
#include "core/vocabulary.hpp"
#include "sync/server/reports.hpp"
#include "sync/server/search_rule.hpp"

namespace shelter::sync {

void log_line(const std::string& what) {
  // Requests are logged by what happened, never by whom (no names here).
  std::cerr << "shelter-server: " << what << "\n";
}

ApiReply json_reply(std::string body) {
  ApiReply r;
  r.body = std::move(body);
  return r;
}

ApiReply refused(int status, const std::string& message) {
  ApiReply r;
  r.status = status;
  r.body = error_body(message);
  return r;
}

namespace {

std::string param(const ApiRequest& req, const std::string& name) {
  auto it = req.params.find(name);
  return it == req.params.end() ? std::string() : it->second;
}

std::string bearer(const ApiRequest& req) {
  const std::string prefix = "Bearer ";
  return req.authorization.rfind(prefix, 0) == 0 ? req.authorization.substr(prefix.size()) : std::string();
}

// Who is asking (a kiosk or a headquarters user, from the bearer token), or
// why the request is refused.
struct Asker {
  std::optional<Principal> principal;
  ApiReply refusal;
};

Asker who(ServerStore& st, const ApiRequest& req) {
  auto p = st.authenticate(bearer(req));
  if (!p) return {std::nullopt, refused(503, req.path + ": " + p.error().message)};
  if (!p->principal) return {std::nullopt, refused(401, req.path + ": " + p->refused)};
  return {p->principal, {}};
}

// Headquarters only (the dashboard shows or hides what a role may see).
Asker headquarters(ServerStore& st, const ApiRequest& req, const char* what) {
  Asker a = who(st, req);
  if (a.principal && a.principal->kind != Principal::Kind::Headquarters)
    return {std::nullopt, refused(403, std::string(what) + ": headquarters only")};
  return a;
}

// Headquarters with at least `role` (auth.hpp): "search" for 安否 search
// over consenting persons, "roster" for every person.
Asker with_role(ServerStore& st, const ApiRequest& req, const char* what, const char* role) {
  Asker a = headquarters(st, req, what);
  if (a.principal && !role_allows(a.principal->role, role))
    return {std::nullopt,
            refused(403, std::string(what) + ": needs a headquarters account with the " + role + " role")};
  return a;
}

std::string describe_skew(std::int64_t ms) {
  const std::int64_t a = ms < 0 ? -ms : ms;
  const std::int64_t minutes = (a + 30000) / 60000;
  return std::to_string(minutes / 60) + " h " + std::to_string(minutes % 60) + " min " +
         (ms < 0 ? "behind" : "ahead of");
}

// Records a daemon's request for headquarters (last push/pull, clock skew
// from its X-Shelter-Time header) and says so in the log when a kiosk's
// clock is off by more than kFutureSlackMs, once per change of a minute or more.
void note_contact(ServerStore& st, const Principal& p, const ApiRequest& req, bool push, std::int64_t now,
                  ApiReply& reply) {
  DeviceContact c;
  c.device_id = p.device_id;
  c.shelter_id = p.shelter_id;
  c.push = push;
  c.at_ms = now;
  c.future_events = reply.future_events;
  const std::string& sent = req.shelter_time;
  if (!sent.empty() && sent.size() < 20 && sent.find_first_not_of("0123456789") == std::string::npos)
    c.clock_skew_ms = std::stoll(sent) - c.at_ms;
  auto before = st.note_contact(c);
  if (!before) return reply.log.push_back("device status: " + before.error().message);
  if (c.clock_skew_ms) {
    const std::int64_t skew = *c.clock_skew_ms;
    const std::int64_t was = before->value_or(0);
    if ((skew > kFutureSlackMs || skew < -kFutureSlackMs) && (skew - was > 60000 || was - skew > 60000))
      reply.log.push_back("clock of device " + p.device_id + " is " + describe_skew(skew) +
                          " the server's (its daemon corrects new events; shown to headquarters)");
  }
  if (c.future_events > 0)
    reply.log.push_back("push from device " + p.device_id + ": " + std::to_string(c.future_events) +
                        " event(s) stamped more than 5 min ahead of the server clock (stored with a clamp to that "
                        "limit; flagged to headquarters)");
}

nlohmann::json optional_ms(const std::optional<std::int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

// GET /v1/health
ApiReply health(ServerStore&, const ApiRequest&, std::int64_t) {
  return json_reply("{\"ok\":true}");
}

// GET /v1/vocabulary: the vocabularies (needs, age bands, ...) in display
// order: the dashboard holds no lists of its own. Public: no person data.
ApiReply vocabulary(ServerStore&, const ApiRequest&, std::int64_t) {
  return json_reply(vocab::to_json().dump());
}

// POST /v1/enrol
ApiReply enrol(ServerStore& st, const ApiRequest& req, std::int64_t now) {
  return serve_enrol(st, req.body, now);
}

// POST /v1/push
ApiReply push(ServerStore& st, const ApiRequest& req, std::int64_t now) {
  Asker a = who(st, req);
  if (!a.principal) return a.refusal;
  ApiReply reply = serve_push(st, *a.principal, req.body, now);
  if (reply.status == 200) note_contact(st, *a.principal, req, true, now, reply);
  return reply;
}

// POST /v1/volunteers
ApiReply volunteers(ServerStore& st, const ApiRequest& req, std::int64_t) {
  Asker a = who(st, req);
  if (!a.principal) return a.refusal;
  return serve_volunteers(st, *a.principal, req.body);
}

// GET /v1/pull?shelter=&after=&limit=
ApiReply pull(ServerStore& st, const ApiRequest& req, std::int64_t now) {
  Asker a = who(st, req);
  if (!a.principal) return a.refusal;
  std::int64_t after = 0, refused_after = 0;
  int limit = 1000;
  try {
    if (req.params.count("after")) after = std::stoll(param(req, "after"));
    if (req.params.count("refused_after")) refused_after = std::stoll(param(req, "refused_after"));
    if (req.params.count("limit")) limit = std::stoi(param(req, "limit"));
  } catch (const std::exception&) {
    return refused(400, "pull: after and limit must be numbers");
  }
  ApiReply reply = serve_pull(st, *a.principal, param(req, "shelter"), after, limit, now, refused_after);
  if (reply.status == 200) note_contact(st, *a.principal, req, false, now, reply);
  return reply;
}

// GET /v1/devices
ApiReply devices(ServerStore& st, const ApiRequest& req, std::int64_t now) {
  Asker a = headquarters(st, req, "devices");
  if (!a.principal) return a.refusal;
  auto d = st.devices();
  if (!d) return refused(503, d.error().message);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : *d)
    list.push_back({{"device", s.device_id},
                    {"shelter", s.shelter_id},
                    {"last_push", optional_ms(s.last_push_ms)},
                    {"last_pull", optional_ms(s.last_pull_ms)},
                    {"clock_skew_ms", optional_ms(s.clock_skew_ms)},
                    {"future_events", s.future_events}});
  return json_reply(
      nlohmann::json{{"time", now}, {"devices", list}, {"hubs", hub_reports_json(st)}, {"relay", hub_link_json(st)}}
          .dump());
}

// GET /v1/keys: the public keys every kiosk trusts (docs/protocol.md,
// "Keys"). Kiosks only: they verify passes and cards offline with them.
ApiReply keys(ServerStore& st, const ApiRequest& req, std::int64_t now) {
  Asker a = who(st, req);
  if (!a.principal) return a.refusal;
  if (a.principal->kind != Principal::Kind::Kiosk) return refused(403, "keys: kiosks only");
  auto k = st.keys();
  if (!k) return refused(503, "keys: " + k.error().message);
  return json_reply(encode(KeysReply{std::move(*k), now}));
}

// POST /v1/import: a sealed USB export of another kiosk of this kiosk's
// shelter, relayed by its daemon (shelterctl import queued it). Opened and
// checked as at `shelter-server import`; the file must be of the token's
// shelter. A file refused whole gets 403 (the daemon drops it and says
// why), a server that cannot open files yet 503 (the daemon tries again).
static_assert(kMaxRelayBytes <= kMaxBodyBytes, "a kiosk queues only files the server takes");
ApiReply import_file(ServerStore& st, const ApiRequest& req, std::int64_t now) {
  Asker a = who(st, req);
  if (!a.principal) return a.refusal;
  const Principal& p = *a.principal;
  if (p.kind != Principal::Kind::Kiosk) return refused(403, "import: kiosks only");
  auto h = read_usb_header(req.body);
  if (!h) return refused(400, "import: " + h.error().message);
  if (h->version != kUsbSealedVersion)
    return refused(400, "import: only sealed (version 2) files are relayed; export the file again at its kiosk");
  if (h->shelter_id != p.shelter_id)
    return refused(403, "import: the file is of shelter " + h->shelter_id + "; device " + p.device_id +
                            " may relay files of shelter " + p.shelter_id + " only");
  if (st.hq_secret().empty()) return hub_queue_import(st, p, req);  // a hub passes it on; else 503
  auto keys = st.keys();
  if (!keys) return refused(503, "import: " + keys.error().message);
  auto x = open_sealed_export(st.hq_secret(), *keys, req.body);
  if (!x) return refused(403, "import: " + x.error().message);
  auto r = import_usb_at_server(st, *x, now);
  if (!r) return refused(503, "import: " + r.error().message);
  nlohmann::json refusals = nlohmann::json::array();
  for (const auto& f : r->refused) refusals.push_back({{"id", f.id}, {"code", f.code}, {"reason", f.reason}});
  ApiReply reply = json_reply(nlohmann::json{
      {"v", kProtocolVersion},
      {"device", x->device_id},
      {"events", x->events.size()},
      {"new", r->new_events},
      {"refused", refusals},
      {"time", now}}.dump());
  reply.log.push_back("imported a USB file of device " + x->device_id + " relayed by device " + p.device_id + ": " +
                      std::to_string(x->events.size()) + " event(s), " + std::to_string(r->new_events) + " new, " +
                      std::to_string(r->refused.size()) + " refused");
  return reply;
}

// GET /v1/counts[?shelter=]
ApiReply counts(ServerStore& st, const ApiRequest& req, std::int64_t) {
  Asker a = who(st, req);
  if (!a.principal) return a.refusal;
  const Principal& p = *a.principal;
  const std::string shelter = param(req, "shelter");
  if (!shelter.empty() && !is_valid_slug(shelter)) return refused(400, "counts: bad shelter id");
  // A kiosk may read its own shelter's counts; headquarters every shelter's.
  if (p.kind == Principal::Kind::Kiosk && shelter != p.shelter_id)
    return refused(403, "counts: this token may read only shelter " + p.shelter_id);
  auto c = st.counts(shelter);
  if (!c) return refused(503, c.error().message);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& one : *c) out.push_back(counts_to_json(one));
  return json_reply(out.dump());
}

// POST /v1/login {"name", "password"}
ApiReply login(ServerStore& st, const ApiRequest& req, std::int64_t now) {
  if (!json_depth_within(req.body, kMaxJsonDepth)) return refused(400, "sign in: JSON nested too deep");
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string() || !j.contains("password") ||
      !j["password"].is_string())
    return refused(400, "sign in: give name and password");
  const std::string name = j["name"].get<std::string>();
  // Wrong tries slow down the name and the address, known name or not
  // (SignInGuard): a waiting try is answered at once, without a hash.
  SignInGuard& guard = st.sign_in_guard();
  if (const std::int64_t wait = guard.wait_ms(name, req.remote_address, now); wait > 0) {
    ApiReply reply = refused(429, "sign in: too many wrong tries; wait " + std::to_string((wait + 999) / 1000) + " s");
    reply.retry_after = static_cast<int>((wait + 999) / 1000);
    return reply;
  }
  auto token = st.login(name, j["password"].get<std::string>());
  if (!token && token.error().message.starts_with("busy")) {
    ApiReply reply = refused(503, "sign in: " + token.error().message);
    reply.retry_after = 2;
    return reply;
  }
  if (!token) {
    guard.failed(name, req.remote_address, now);
    return refused(401, "sign in: " + token.error().message);
  }
  guard.succeeded(name);
  auto check = st.authenticate(*token);
  if (!check || !check->principal) return refused(503, "sign in: " + (check ? check->refused : check.error().message));
  const Principal& p = *check->principal;
  ApiReply reply = json_reply(nlohmann::json{{"token", *token}, {"name", p.name}, {"role", p.role}}.dump());
  reply.log.push_back("signed in: " + p.name + " (" + p.role + ")");
  return reply;
}

// POST /v1/logout
ApiReply logout(ServerStore& st, const ApiRequest& req, std::int64_t) {
  Asker a = headquarters(st, req, "sign out");
  if (!a.principal) return a.refusal;
  if (auto done = st.end_session(bearer(req)); !done) return refused(503, "sign out: " + done.error().message);
  ApiReply reply = json_reply(R"({"ok":true})");
  reply.log.push_back("signed out: " + a.principal->name);
  return reply;
}

// GET /v1/me: who am I (the dashboard shows or hides what a role may see).
ApiReply me(ServerStore& st, const ApiRequest& req, std::int64_t) {
  Asker a = headquarters(st, req, "me");
  if (!a.principal) return a.refusal;
  return json_reply(nlohmann::json{{"name", a.principal->name}, {"role", a.principal->role}}.dump());
}

// GET /v1/shelters
ApiReply shelters(ServerStore& st, const ApiRequest& req, std::int64_t) {
  Asker a = headquarters(st, req, "shelters");
  if (!a.principal) return a.refusal;
  auto s = st.shelters();
  if (!s) return refused(503, s.error().message);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& i : *s) out.push_back({{"id", i.id}, {"name", i.name}, {"capacity", i.capacity}});
  return json_reply(out.dump());
}

// GET /v1/timeline[?hours=]
ApiReply timeline(ServerStore& st, const ApiRequest& req, std::int64_t now) {
  Asker a = headquarters(st, req, "timeline");
  if (!a.principal) return a.refusal;
  int hours = 48;
  try {
    if (req.params.count("hours")) hours = std::stoi(param(req, "hours"));
  } catch (const std::exception&) {
    hours = -1;
  }
  if (hours < 1 || hours > 24 * 60) return refused(400, "timeline: hours must be 1 to 1440");
  auto t = st.timeline(now - static_cast<std::int64_t>(hours) * 3600'000);
  if (!t) return refused(503, t.error().message);
  nlohmann::json series = nlohmann::json::array();
  for (const auto& r : *t)
    series.push_back({{"shelter", r.shelter_id}, {"hour", r.hour_ms}, {"arrived", r.arrived}, {"left", r.left}});
  return json_reply(nlohmann::json{{"time", now}, {"hours", hours}, {"series", series}}.dump());
}

// When, for the log of downloads and of reads that show names (UTC, to the
// second): the journal stamps each line too, but a log file copied
// elsewhere keeps it.
std::string log_time(std::int64_t now_ms) {
  const std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// GET /v1/transfers[?since=ms]: arrivals that moved a person to a shelter
// from another (ServerStore::transfers), since `since` (default: the last
// 48 h). Every headquarters account gets them by route: from, to, how many,
// the latest. Only a `roster` account also gets each one: who (id and
// name), from, to, when and the device that recorded it, newest first;
// such a read is logged like a roster download, who and when (not when
// the list is empty: it showed no one).
ApiReply transfers(ServerStore& st, const ApiRequest& req, std::int64_t now) {
  Asker a = headquarters(st, req, "transfers");
  if (!a.principal) return a.refusal;
  std::int64_t since = std::max<std::int64_t>(0, now - 48 * 3600'000);
  if (req.params.count("since")) {
    const std::string text = param(req, "since");
    // At most 14 digits: a time in ms that an HLC holds (48 bits).
    if (text.empty() || text.size() > 14 || text.find_first_not_of("0123456789") != std::string::npos)
      return refused(400, "transfers: since must be a time in ms since 1970");
    since = std::stoll(text);
  }
  auto found = st.transfers(since);
  if (!found) return refused(503, found.error().message);
  struct Leg {
    std::int64_t count = 0, last_ms = 0;
  };
  std::map<std::pair<std::string, std::string>, Leg> by_route;
  for (const auto& t : *found) {
    Leg& r = by_route[{t.from_shelter, t.to_shelter}];
    ++r.count;
    r.last_ms = std::max(r.last_ms, t.at_ms);
  }
  std::vector<std::pair<std::pair<std::string, std::string>, Leg>> ordered(by_route.begin(), by_route.end());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& x, const auto& y) { return x.second.last_ms > y.second.last_ms; });
  nlohmann::json routes = nlohmann::json::array();
  for (const auto& [key, r] : ordered)
    routes.push_back({{"from", key.first}, {"to", key.second}, {"count", r.count}, {"last", r.last_ms}});
  nlohmann::json out = {{"time", now}, {"since", since}, {"routes", std::move(routes)}};
  if (role_allows(a.principal->role, "roster")) {
    constexpr size_t kListed = 1000;  // the newest; the routes count them all
    nlohmann::json each = nlohmann::json::array();
    for (size_t i = 0; i < found->size() && i < kListed; ++i) {
      const Transfer& t = (*found)[i];
      each.push_back({{"person", t.person_id},
                      {"name", t.name},
                      {"from", t.from_shelter},
                      {"to", t.to_shelter},
                      {"time", t.at_ms},
                      {"device", t.device_id}});
    }
    const size_t listed = each.size();
    out["transfers"] = std::move(each);
    out["more"] = found->size() > kListed;
    ApiReply reply = json_reply(out.dump());
    if (listed > 0)
      reply.log.push_back("transfers with names read by " + a.principal->name + " at " + log_time(now) + ": " +
                          std::to_string(listed) + " transfer(s) since " + log_time(since));
    return reply;
  }
  return json_reply(out.dump());
}

// GET /v1/search?q=[&birth_year=]: 安否 search over persons who consented.
// The query must name a person (search_rule.hpp). A `search` account gets
// what a searching relative needs and no internal ids: name, reading, age
// band, shelter and presence; a `roster` account, which may download
// everything anyway, also gets the person id and the birth date.
ApiReply search(ServerStore& st, const ApiRequest& req, std::int64_t) {
  Asker a = with_role(st, req, "search", "search");
  if (!a.principal) return a.refusal;
  const std::string text = param(req, "q");
  if (text.empty() || text.size() > 100) return refused(400, "search: give q, 1 to 100 bytes");
  if (!is_valid_utf8(text) || has_control_chars(text))
    return refused(400, "search: q must be UTF-8 text without control characters");
  const std::string year = param(req, "birth_year");
  if (!year.empty() && (year.size() != 4 || year.find_first_not_of("0123456789") != std::string::npos))
    return refused(400, "search: birth_year must be four digits");
  if (const std::string why = search_refusal(text, !year.empty()); !why.empty()) return refused(400, why);
  auto found = st.search_consenting(text);
  if (!found) return refused(503, found.error().message);
  auto places = st.shelters();
  if (!places) return refused(503, places.error().message);
  const bool full = role_allows(a.principal->role, "roster");
  const BirthDate today = today_utc();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : *found) {
    const std::string birth = to_string(f.birth);
    if (!year.empty() && birth.rfind(year, 0) != 0) continue;
    auto place =
        std::find_if(places->begin(), places->end(), [&](const ShelterInfo& s) { return s.id == f.shelter_id; });
    nlohmann::json hit = {{"name", f.name},
                          {"reading", f.reading},
                          {"age_band", std::string(to_string(age_band(f.birth, today)))},
                          {"shelter", f.shelter_id},
                          {"shelter_name", place == places->end() ? std::string() : place->name},
                          {"presence", to_string(f.presence)}};
    if (full) {
      hit["id"] = f.id;
      hit["birth"] = birth;
    }
    out.push_back(std::move(hit));
  }
  ApiReply reply = json_reply(out.dump());
  // Every search is logged: who searched and how much they saw (not for whom).
  reply.log.push_back("search by " + a.principal->name + (year.empty() ? "" : " (with a year)") + ": " +
                      std::to_string(out.size()) + " result(s)");
  return reply;
}

ApiReply download(std::string body, const char* content_type, const char* file_name) {
  ApiReply r;
  r.body = std::move(body);
  r.content_type = content_type;
  r.attachment = file_name;
  return r;
}

// GET /v1/export/counts.csv: the situation report.
ApiReply export_counts(ServerStore& st, const ApiRequest& req, std::int64_t now) {
  Asker a = headquarters(st, req, "export counts");
  if (!a.principal) return a.refusal;
  auto c = st.counts("");
  auto s = st.shelters();
  if (!c || !s) return refused(503, (!c ? c.error() : s.error()).message);
  ApiReply reply =
      download("\xEF\xBB\xBF" + situation_report_csv(*c, *s), "text/csv; charset=utf-8", "shelter-counts.csv");
  reply.log.push_back("counts exported by " + a.principal->name + " at " + log_time(now));
  return reply;
}

// GET /v1/export/roster.csv: every download is logged, who and when.
ApiReply export_roster(ServerStore& st, const ApiRequest& req, std::int64_t now) {
  Asker a = with_role(st, req, "export roster", "roster");
  if (!a.principal) return a.refusal;
  auto people = st.persons(false);
  if (!people) return refused(503, people.error().message);
  ApiReply reply = download("\xEF\xBB\xBF" + roster_csv(*people), "text/csv; charset=utf-8", "shelter-roster.csv");
  reply.log.push_back("roster exported by " + a.principal->name + " at " + log_time(now) + ": " +
                      std::to_string(people->size()) + " person(s)");
  return reply;
}

// GET /v1/export/pfif.xml: every download is logged, who and when.
ApiReply export_pfif(ServerStore& st, const ApiRequest& req, std::int64_t now) {
  Asker a = with_role(st, req, "export PFIF", "roster");
  if (!a.principal) return a.refusal;
  auto people = st.persons(true);
  auto s = st.shelters();
  if (!people || !s) return refused(503, (!people ? people.error() : s.error()).message);
  ApiReply reply = download(pfif_xml(*people, *s, "shelter-checkin", utc_now("%Y-%m-%dT%H:%M:%SZ")),
                            "application/xml; charset=utf-8", "shelter-pfif.xml");
  reply.log.push_back("PFIF exported by " + a.principal->name + " at " + log_time(now) + ": " +
                      std::to_string(people->size()) + " consenting person(s)");
  return reply;
}

// GET /v1/duplicates: personal details of two persons, so roster only.
ApiReply duplicates(ServerStore& st, const ApiRequest& req, std::int64_t) {
  Asker a = with_role(st, req, "duplicates", "roster");
  if (!a.principal) return a.refusal;
  return serve_duplicates(st, *a.principal);
}

// POST /v1/card-sheets: a residents CSV in, household cards (PDF) out.
ApiReply card_sheets(ServerStore& st, const ApiRequest& req, std::int64_t) {
  Asker a = with_role(st, req, "card sheets", "roster");
  if (!a.principal) return a.refusal;
  return serve_card_sheets(st, *a.principal, req);
}

// The neighbourhood list: names, births and addresses, so roster only.
ApiReply district_list_upload(ServerStore& st, const ApiRequest& req, std::int64_t now) {
  Asker a = with_role(st, req, "district list", "roster");
  if (!a.principal) return a.refusal;
  return serve_district_list_upload(st, *a.principal, req, now);
}
ApiReply district_list_status(ServerStore& st, const ApiRequest& req, std::int64_t) {
  Asker a = with_role(st, req, "district list", "roster");
  if (!a.principal) return a.refusal;
  return serve_district_list_status(st, *a.principal);
}

ApiReply hub(ServerStore& st, const ApiRequest& req, std::int64_t now) {
  Asker a = who(st, req);
  return a.principal ? serve_hub(st, *a.principal, req, now) : a.refusal;
}

using Handler = ApiReply (*)(ServerStore&, const ApiRequest&, std::int64_t);
struct Route {
  RouteName name;
  Handler handler;
};
const std::vector<Route>& routes() {
  static const std::vector<Route> table = {
      {{"GET", "/v1/health"}, health},
      {{"GET", "/v1/vocabulary"}, vocabulary},
      {{"POST", "/v1/enrol"}, enrol},
      {{"POST", "/v1/push"}, push},
      {{"POST", "/v1/volunteers"}, volunteers},
      {{"GET", "/v1/pull"}, pull},
      {{"GET", "/v1/devices"}, devices},
      {{"GET", "/v1/keys"}, keys},
      {{"POST", "/v1/hub/report"}, hub},
      {{"GET", "/v1/hub/volunteers"}, hub},
      {{"GET", "/v1/hub/status"}, hub},
      {{"POST", "/v1/import"}, import_file},
      {{"GET", "/v1/counts"}, counts},
      {{"POST", "/v1/login"}, login},
      {{"POST", "/v1/logout"}, logout},
      {{"GET", "/v1/me"}, me},
      {{"GET", "/v1/shelters"}, shelters},
      {{"GET", "/v1/timeline"}, timeline},
      {{"GET", "/v1/transfers"}, transfers},
      {{"GET", "/v1/search"}, search},
      {{"GET", "/v1/duplicates"}, duplicates},
      {{"POST", "/v1/card-sheets"}, card_sheets},
      {{"POST", "/v1/district-list"}, district_list_upload},
      {{"GET", "/v1/district-list/status"}, district_list_status},
      {{"GET", "/v1/export/counts.csv"}, export_counts},
      {{"GET", "/v1/export/roster.csv"}, export_roster},
      {{"GET", "/v1/export/pfif.xml"}, export_pfif},
  };
  return table;
}

}  // namespace

const std::vector<RouteName>& api_routes() {
  static const std::vector<RouteName> names = [] {
    std::vector<RouteName> out;
    for (const auto& r : routes()) out.push_back(r.name);
    return out;
  }();
  return names;
}

ApiReply route(ServerStore& st, const ApiRequest& request, std::int64_t now_ms) {
  for (const auto& r : routes()) {
    if (request.method != r.name.method || request.path != r.name.path) continue;
    ApiReply reply = r.handler(st, request, now_ms);
    if (reply.status != 200)
      reply.log.push_back("refused (" + std::to_string(reply.status) +
                          "): " + (reply.log_refusal.empty() ? error_message(reply.body) : reply.log_refusal));
    return reply;
  }
  return refused(404, "no such route");
}

}  // namespace shelter::sync
