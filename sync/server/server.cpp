#include "sync/server/server.hpp"

#include "core/vocabulary.hpp"

#include "core/reports.hpp"
#include "core/sqlite.hpp"
#include "sync/server/reports.hpp"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>
#include <iostream>

namespace shelter::sync {

namespace {

std::int64_t now_ms() { return system_millis(); }  // core's one clock reading

class SqliteServerStore final : public ServerStore {
 public:
  explicit SqliteServerStore(std::unique_ptr<Store> store) : store_(std::move(store)), auth_(store_->db()) {}
  Status migrate() {
    if (auto st = auth_.migrate(); !st) return st;
    return store_->db().exec(R"sql(
CREATE TABLE IF NOT EXISTS shelter_info(id TEXT PRIMARY KEY, name TEXT NOT NULL, capacity INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS device_status(
  device_id TEXT PRIMARY KEY, shelter_id TEXT NOT NULL, last_push_ms INTEGER, last_pull_ms INTEGER,
  clock_skew_ms INTEGER, future_events INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
)sql");
  }

  Result<std::optional<std::int64_t>> note_contact(const DeviceContact& c) override {
    std::lock_guard lock(mu_);
    auto& db = store_->db();
    auto prev = db.prepare("SELECT clock_skew_ms FROM device_status WHERE device_id = ?");
    if (!prev) return prev.error();
    (*prev)->bind(1, c.device_id);
    auto row = (*prev)->step();
    if (!row) return row.error().context("device status");
    std::optional<std::int64_t> before;
    if (*row && !(*prev)->is_null(0)) before = (*prev)->i64(0);
    auto q = db.prepare(
        "INSERT INTO device_status VALUES(?1, ?2, CASE WHEN ?3 THEN ?4 END, CASE WHEN ?3 THEN NULL ELSE ?4 END, ?5, ?6) "
        "ON CONFLICT(device_id) DO UPDATE SET shelter_id = ?2, "
        "last_push_ms = CASE WHEN ?3 THEN ?4 ELSE last_push_ms END, "
        "last_pull_ms = CASE WHEN ?3 THEN last_pull_ms ELSE ?4 END, "
        "clock_skew_ms = coalesce(?5, clock_skew_ms), future_events = future_events + ?6");
    if (!q) return q.error();
    (*q)->bind(1, c.device_id).bind(2, c.shelter_id).bind(3, std::int64_t{c.push}).bind(4, c.at_ms);
    if (c.clock_skew_ms)
      (*q)->bind(5, *c.clock_skew_ms);
    else
      (*q)->bind_null(5);
    (*q)->bind(6, std::int64_t{c.future_events});
    if (auto r = (*q)->step(); !r) return r.error().context("device status");
    return before;
  }

  Result<nlohmann::json> devices() override {
    std::lock_guard lock(mu_);
    auto q = store_->db().prepare(
        "SELECT device_id, shelter_id, last_push_ms, last_pull_ms, clock_skew_ms, future_events FROM device_status "
        "ORDER BY shelter_id, device_id");
    if (!q) return q.error();
    nlohmann::json out = nlohmann::json::array();
    auto opt = [&](int col) { return (*q)->is_null(col) ? nlohmann::json() : nlohmann::json((*q)->i64(col)); };
    for (;;) {
      auto row = (*q)->step();
      if (!row) return row.error().context("devices");
      if (!*row) break;
      out.push_back({{"device", (*q)->text(0)}, {"shelter", (*q)->text(1)}, {"last_push", opt(2)},
                     {"last_pull", opt(3)}, {"clock_skew_ms", opt(4)}, {"future_events", (*q)->i64(5)}});
    }
    return out;
  }

  Result<nlohmann::json> search_consenting(const std::string& text) override {
    std::lock_guard lock(mu_);
    PersonQuery q;
    q.text = text;
    q.limit = 200;
    auto people = store_->persons(q);
    if (!people) return people.error();
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : *people)
      if (p.info.consent)
        out.push_back({{"id", p.id}, {"name", p.info.name}, {"reading", p.info.reading},
                       {"birth", to_string(p.info.birth)}, {"shelter", p.shelter_id}, {"presence", to_string(p.presence)}});
    return out;
  }

  Result<std::vector<PersonRecord>> persons(bool consenting_only) override {
    std::lock_guard lock(mu_);
    PersonQuery q;
    q.limit = 10'000'000;
    auto all = store_->persons(q);
    if (!all) return all.error();
    if (consenting_only)
      all->erase(std::remove_if(all->begin(), all->end(), [](const PersonRecord& p) { return !p.info.consent; }),
                 all->end());
    return all;
  }

  Result<nlohmann::json> timeline(std::int64_t since_ms) override {
    std::lock_guard lock(mu_);
    auto q = store_->db().prepare(
        "SELECT shelter_id, ((hlc >> 16) / 3600000) * 3600000 AS hour, sum(type = 'arrived'), sum(type = 'left') "
        "FROM event WHERE type IN ('arrived', 'left') AND (hlc >> 16) >= ?1 GROUP BY shelter_id, hour "
        "ORDER BY hour, shelter_id");
    if (!q) return q.error();
    (*q)->bind(1, since_ms);
    nlohmann::json out = nlohmann::json::array();
    for (;;) {
      auto row = (*q)->step();
      if (!row) return row.error().context("timeline");
      if (!*row) break;
      out.push_back({{"shelter", (*q)->text(0)}, {"hour", (*q)->i64(1)}, {"arrived", (*q)->i64(2)},
                     {"left", (*q)->i64(3)}});
    }
    return out;
  }

  Result<nlohmann::json> shelters() override {
    std::lock_guard lock(mu_);
    auto q = store_->db().prepare("SELECT id, name, capacity FROM shelter_info ORDER BY id");
    if (!q) return q.error();
    nlohmann::json out = nlohmann::json::array();
    for (;;) {
      auto row = (*q)->step();
      if (!row) return row.error().context("shelters");
      if (!*row) break;
      out.push_back({{"id", (*q)->text(0)}, {"name", (*q)->text(1)}, {"capacity", (*q)->i64(2)}});
    }
    return out;
  }

  Status set_shelter(const std::string& id, const std::string& name, int capacity) override {
    if (auto st = check_shelter(id, name, capacity); !st) return st;
    std::lock_guard lock(mu_);
    auto q = store_->db().prepare("INSERT OR REPLACE INTO shelter_info VALUES(?,?,?)");
    if (!q) return q.error();
    (*q)->bind(1, id).bind(2, name).bind(3, capacity);
    return (*q)->run();
  }
  Result<TokenCheck> authenticate(const std::string& token) override {
    std::lock_guard lock(mu_);
    return auth_.authenticate(token);
  }
  Result<Principal> enrol(const std::string& code, const std::string& device_id, std::string& token_out) override {
    std::lock_guard lock(mu_);
    return auth_.enrol(code, device_id, token_out);
  }
  Result<std::string> create_enrolment(const std::string& shelter_id, const std::string& device_id,
                                       int hours) override {
    std::lock_guard lock(mu_);
    return auth_.create_enrolment(shelter_id, device_id, hours);
  }
  Result<std::string> add_user(const std::string& name, const std::string& role, const std::string& password) override {
    std::lock_guard lock(mu_);
    return auth_.add_user(name, role, password);
  }
  Result<std::string> login(const std::string& name, const std::string& password) override {
    std::lock_guard lock(mu_);
    return auth_.login(name, password);
  }
  Status end_session(const std::string& token) override {
    std::lock_guard lock(mu_);
    return auth_.end_session(token);
  }
  Result<std::int64_t> last_device_seq(const std::string& device_id) override {
    std::lock_guard lock(mu_);
    auto q = store_->db().prepare("SELECT coalesce(max(device_seq), 0) FROM event WHERE device_id = ?");
    if (!q) return q.error();
    (*q)->bind(1, device_id);
    if (auto r = (*q)->step(); !r) return r.error();
    return (*q)->i64(0);
  }
  Result<int> revoke(const std::string& device_id, const std::string& user_name) override {
    std::lock_guard lock(mu_);
    return auth_.revoke(device_id, user_name);
  }

  Result<PushReply> push(const PushRequest& request, std::int64_t now) override {
    std::lock_guard lock(mu_);
    auto admitted = store_->admit(request.events, now, kFutureSlackMs);
    if (!admitted) return admitted.error().context("store batch");
    PushReply reply;
    for (size_t i = 0; i < request.events.size(); ++i) {
      const Event& e = request.events[i];
      const Admission& a = (*admitted)[i];
      if (a.kind == Admission::Kind::Refused) {
        reply.refused.push_back({e.id, a.code, a.reason, a.expected_seq});
        continue;
      }
      reply.acknowledged.push_back(e.id);
      if (a.kind == Admission::Kind::Stored) ++reply.new_events;
      if (a.clamp != 0) reply.clamped.emplace_back(e.id, a.clamp);
    }
    reply.server_time_ms = now;
    return reply;
  }

  Result<PullReply> pull(const std::string& shelter_id, std::int64_t after, int limit) override {
    std::lock_guard lock(mu_);
    auto feed = store_->shelter_feed_after(shelter_id, after, limit + 1);
    if (!feed) return feed.error();
    return feed_reply(std::move(*feed), limit, after, [&](const std::vector<PersonId>& persons) -> Result<std::vector<Event>> {
      auto rows = store_->feed_backfill(shelter_id, after, persons);
      if (!rows) return rows.error();
      std::vector<Event> out;
      for (auto& [seq, e] : *rows) out.push_back(std::move(e));
      return out;
    });
  }

  Result<nlohmann::json> counts(const std::string& shelter_id) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> shelters;
    if (shelter_id.empty()) {
      auto all = store_->shelters_with_counts();
      if (!all) return all.error();
      shelters = *all;
    } else {
      shelters.push_back(shelter_id);
    }
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : shelters) {
      auto c = store_->counts(s);
      if (!c) return c.error();
      out.push_back(counts_to_json(*c));
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::unique_ptr<Store> store_;
  Auth auth_;
};

void log_line(const std::string& what) {
  // Requests are logged by what happened, never by whom (no names here).
  std::cerr << "shelter-server: " << what << "\n";
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
void note_contact(ServerStore& st, const Principal& p, const httplib::Request& req, bool push, int future_events) {
  DeviceContact c;
  c.device_id = p.device_id;
  c.shelter_id = p.shelter_id;
  c.push = push;
  c.at_ms = now_ms();
  c.future_events = future_events;
  const std::string sent = req.get_header_value("X-Shelter-Time");
  if (!sent.empty() && sent.size() < 20 && sent.find_first_not_of("0123456789") == std::string::npos)
    c.clock_skew_ms = std::stoll(sent) - c.at_ms;
  auto before = st.note_contact(c);
  if (!before) return log_line("device status: " + before.error().message);
  if (c.clock_skew_ms) {
    const std::int64_t skew = *c.clock_skew_ms;
    const std::int64_t was = before->value_or(0);
    if ((skew > kFutureSlackMs || skew < -kFutureSlackMs) && (skew - was > 60000 || was - skew > 60000))
      log_line("clock of device " + p.device_id + " is " + describe_skew(skew) +
               " the server's (its daemon corrects new events; shown to headquarters)");
  }
  if (future_events > 0)
    log_line("push from device " + p.device_id + ": " + std::to_string(future_events) +
             " event(s) stamped more than 5 min ahead of the server clock (stored with a clamp to that limit; flagged to headquarters)");
}

}  // namespace

Status check_shelter(const std::string& id, const std::string& name, int capacity) {
  if (!is_valid_slug(id)) return fail("shelter id must be 1-32 of a-z 0-9 - _");
  if (name.size() > 200 || !is_valid_utf8(name)) return fail("shelter name: at most 200 bytes of UTF-8");
  if (capacity < 0 || capacity > 1'000'000) return fail("capacity must be 0 to 1000000");
  return {};
}

Result<PullReply> feed_reply(std::vector<std::pair<std::int64_t, Event>> page, int limit, std::int64_t after,
                             const Backfill& backfill) {
  PullReply reply;
  reply.more = static_cast<int>(page.size()) > limit;
  if (reply.more) page.resize(static_cast<size_t>(limit));
  std::vector<Event> earlier;
  for (;;) {
    std::vector<PersonId> persons;
    for (const auto& [seq, e] : page) persons.push_back(e.person_id);
    std::sort(persons.begin(), persons.end());
    persons.erase(std::unique(persons.begin(), persons.end()), persons.end());
    auto b = backfill(persons);
    if (!b) return b.error().context("feed backfill");
    earlier = std::move(*b);
    if (page.size() + earlier.size() <= kMaxBatchEvents) break;
    if (page.size() == 1) {  // one person with a huge history: the newest of it
      earlier.erase(earlier.begin(), earlier.end() - static_cast<std::ptrdiff_t>(kMaxBatchEvents - 1));
      break;
    }
    page.resize(page.size() / 2);
    reply.more = true;
  }
  reply.next_cursor = page.empty() ? after : page.back().first;
  reply.events = std::move(earlier);
  for (auto& [seq, e] : page) reply.events.push_back(std::move(e));
  reply.server_time_ms = now_ms();
  return reply;
}

ApiReply serve_enrol(ServerStore& st, std::string_view body, std::int64_t now) {
  auto refused = [](int status, const std::string& message) { return ApiReply{status, error_body(message), 0}; };
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("code") || !j["code"].is_string() || !j.contains("device") ||
      !j["device"].is_string())
    return refused(400, "enrol: give code and device");
  std::string token;
  auto p = st.enrol(j["code"].get<std::string>(), j["device"].get<std::string>(), token);
  if (!p) return refused(403, p.error().message);
  auto last_seq = st.last_device_seq(p->device_id);
  if (!last_seq) return refused(503, "enrol: " + last_seq.error().message);
  log_line("enrolled device " + p->device_id + " at shelter " + p->shelter_id);
  return ApiReply{200,
                  nlohmann::json{{"v", kProtocolVersion}, {"token", token}, {"shelter", p->shelter_id},
                                 {"time", now}, {"last_seq", *last_seq}}
                      .dump(),
                  0};
}

ApiReply serve_push(ServerStore& st, const Principal& p, std::string_view body, std::int64_t now) {
  auto refused = [](int status, const std::string& message) { return ApiReply{status, error_body(message), 0}; };
  if (p.kind != Principal::Kind::Kiosk) return refused(403, "push: only kiosks push");
  auto request = decode_push_request(body);
  if (!request) return refused(400, request.error().message);
  if (request->device_id != p.device_id) return refused(403, "push: this token belongs to device " + p.device_id);
  // A kiosk writes under its own shelter only, its own events or those of
  // another device of its shelter that it imported from a file (relayed).
  // An event of another shelter is refused alone: the rest of the batch is
  // stored, so one stray event never blocks a kiosk's sync.
  PushRequest admissible{request->device_id, {}};
  std::vector<Refusal> elsewhere;
  for (auto& e : request->events) {
    if (e.shelter_id == p.shelter_id)
      admissible.events.push_back(std::move(e));
    else
      elsewhere.push_back({e.id, "other_shelter",
                           "event " + e.id + " is for shelter " + e.shelter_id + "; device " + p.device_id +
                               " may write only for shelter " + p.shelter_id,
                           0});
  }
  PushReply reply;
  if (!admissible.events.empty()) {
    auto stored = st.push(admissible, now);
    if (!stored) return refused(503, stored.error().message);
    reply = std::move(*stored);
  }
  for (auto& f : elsewhere) {
    log_line("refused event: " + f.reason);
    reply.refused.push_back(std::move(f));
  }
  for (const auto& f : reply.refused)
    if (f.code != "other_shelter") log_line("refused event (" + f.code + "): " + f.reason);
  reply.server_time_ms = now;
  return ApiReply{200, encode(reply), static_cast<int>(reply.clamped.size())};
}

ApiReply serve_pull(ServerStore& st, const Principal& p, const std::string& shelter, std::int64_t after, int limit,
                    std::int64_t now) {
  auto refused = [](int status, const std::string& message) { return ApiReply{status, error_body(message), 0}; };
  if (!is_valid_slug(shelter)) return refused(400, "pull: shelter must be a shelter id");
  if (p.kind != Principal::Kind::Kiosk || p.shelter_id != shelter)
    return refused(403, "pull: this token may read only shelter " + p.shelter_id);
  if (after < 0 || limit < 1 || limit > static_cast<int>(kMaxBatchEvents))
    return refused(400, "pull: after >= 0 and 1 <= limit <= " + std::to_string(kMaxBatchEvents));
  auto reply = st.pull(shelter, after, limit);
  if (!reply) return refused(503, reply.error().message);
  reply->server_time_ms = now;
  return ApiReply{200, encode(*reply), 0};
}

Result<PushReply> import_usb_at_server(ServerStore& st, const UsbExport& x, std::int64_t now) {
  Principal as_device;
  as_device.kind = Principal::Kind::Kiosk;
  as_device.device_id = x.device_id;
  as_device.shelter_id = x.shelter_id;
  PushReply total;
  for (size_t i = 0; i < x.events.size(); i += kMaxBatchEvents) {
    PushRequest req{x.device_id,
                    {x.events.begin() + static_cast<std::ptrdiff_t>(i),
                     x.events.begin() + static_cast<std::ptrdiff_t>(std::min(x.events.size(), i + kMaxBatchEvents))}};
    const ApiReply reply = serve_push(st, as_device, encode(req), now);
    if (reply.status != 200) return fail(error_message(reply.body));
    auto r = decode_push_reply(reply.body);
    if (!r) return r.error();
    total.new_events += r->new_events;
    total.acknowledged.insert(total.acknowledged.end(), r->acknowledged.begin(), r->acknowledged.end());
    total.refused.insert(total.refused.end(), r->refused.begin(), r->refused.end());
    total.clamped.insert(total.clamped.end(), r->clamped.begin(), r->clamped.end());
  }
  total.server_time_ms = now;
  return total;
}

Result<std::unique_ptr<ServerStore>> open_sqlite_server_store(const std::string& path) {
  auto store = Store::open(path);
  if (!store) return store.error().context("server store");
  if ((*store)->device_id().empty())
    if (auto st = (*store)->init_identity("server", "server", "Municipal server"); !st) return st.error();
  auto server = std::make_unique<SqliteServerStore>(std::move(store).value());
  if (auto st = server->migrate(); !st) return st.error().context("server store");
  return std::unique_ptr<ServerStore>(std::move(server));
}

struct Server::Impl {
  ServerStore& store;
  ServerOptions options;
  httplib::Server http;
  int bound = 0;
};

Server::Server(ServerStore& store, ServerOptions options) : impl_(new Impl{store, std::move(options), {}, 0}) {
  auto& http = impl_->http;
  auto& st = impl_->store;
  http.set_payload_max_length(kMaxBodyBytes);
  auto refuse = [](httplib::Response& res, int status, const std::string& message) {
    res.status = status;
    res.set_content(error_body(message), "application/json");
    log_line("refused (" + std::to_string(status) + "): " + message);
  };
  http.Get("/v1/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"ok\":true}", "application/json");
  });
  // The vocabularies (needs, age bands, ...) in display order: the dashboard
  // holds no lists of its own. Public: no person data.
  http.Get("/v1/vocabulary", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(vocab::to_json().dump(), "application/json");
  });
  auto bearer = [](const httplib::Request& req) {
    const std::string header = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    return header.rfind(prefix, 0) == 0 ? header.substr(prefix.size()) : std::string();
  };
  // Who is asking: a kiosk or a headquarters user, from the bearer token.
  auto who = [&st, refuse, bearer](const httplib::Request& req, httplib::Response& res) -> std::optional<Principal> {
    auto p = st.authenticate(bearer(req));
    if (!p) {
      refuse(res, 503, req.path + ": " + p.error().message);
      return std::nullopt;
    }
    if (!p->principal) refuse(res, 401, req.path + ": " + p->refused);
    return p->principal;
  };
  http.Post("/v1/enrol", [&st, refuse](const httplib::Request& req, httplib::Response& res) {
    const ApiReply reply = serve_enrol(st, req.body, now_ms());
    if (reply.status != 200) return refuse(res, reply.status, error_message(reply.body));
    res.set_content(reply.body, "application/json");
  });
  http.Post("/v1/push", [&st, refuse, who](const httplib::Request& req, httplib::Response& res) {
    auto p = who(req, res);
    if (!p) return;
    const ApiReply reply = serve_push(st, *p, req.body, now_ms());
    if (reply.status != 200) return refuse(res, reply.status, error_message(reply.body));
    note_contact(st, *p, req, true, reply.future_events);
    res.set_content(reply.body, "application/json");
  });
  http.Get("/v1/pull", [&st, refuse, who](const httplib::Request& req, httplib::Response& res) {
    auto p = who(req, res);
    if (!p) return;
    std::int64_t after = 0;
    int limit = 1000;
    try {
      if (req.has_param("after")) after = std::stoll(req.get_param_value("after"));
      if (req.has_param("limit")) limit = std::stoi(req.get_param_value("limit"));
    } catch (const std::exception&) {
      return refuse(res, 400, "pull: after and limit must be numbers");
    }
    const ApiReply reply = serve_pull(st, *p, req.get_param_value("shelter"), after, limit, now_ms());
    if (reply.status != 200) return refuse(res, reply.status, error_message(reply.body));
    note_contact(st, *p, req, false, 0);
    res.set_content(reply.body, "application/json");
  });
  http.Get("/v1/devices", [&st, refuse, who](const httplib::Request& req, httplib::Response& res) {
    auto p = who(req, res);
    if (!p) return;
    if (p->kind != Principal::Kind::Headquarters) return refuse(res, 403, "devices: headquarters only");
    auto d = st.devices();
    if (!d) return refuse(res, 503, d.error().message);
    res.set_content(nlohmann::json{{"time", now_ms()}, {"devices", *d}}.dump(), "application/json");
  });
  http.Get("/v1/counts", [&st, refuse, who](const httplib::Request& req, httplib::Response& res) {
    auto p = who(req, res);
    if (!p) return;
    const std::string shelter = req.get_param_value("shelter");
    if (!shelter.empty() && !is_valid_slug(shelter)) return refuse(res, 400, "counts: bad shelter id");
    // A kiosk may read its own shelter's counts; headquarters every shelter's.
    if (p->kind == Principal::Kind::Kiosk && shelter != p->shelter_id)
      return refuse(res, 403, "counts: this token may read only shelter " + p->shelter_id);
    auto c = st.counts(shelter);
    if (!c) return refuse(res, 503, c.error().message);
    res.set_content(c->dump(), "application/json");
  });
  // Headquarters: who am I (the dashboard shows or hides what a role may see).
  auto hq = [who, refuse](const httplib::Request& req, httplib::Response& res,
                          const char* what) -> std::optional<Principal> {
    auto p = who(req, res);
    if (!p) return std::nullopt;
    if (p->kind != Principal::Kind::Headquarters) {
      refuse(res, 403, std::string(what) + ": headquarters only");
      return std::nullopt;
    }
    return p;
  };
  auto searcher = [hq, refuse](const httplib::Request& req, httplib::Response& res,
                               const char* what) -> std::optional<Principal> {
    auto p = hq(req, res, what);
    if (!p) return std::nullopt;
    if (p->role != "search") {
      refuse(res, 403, std::string(what) + ": needs a headquarters account with the search role");
      return std::nullopt;
    }
    return p;
  };
  http.Post("/v1/login", [&st, refuse](const httplib::Request& req, httplib::Response& res) {
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (!j.is_object() || !j.contains("name") || !j["name"].is_string() || !j.contains("password") ||
        !j["password"].is_string())
      return refuse(res, 400, "sign in: give name and password");
    auto token = st.login(j["name"].get<std::string>(), j["password"].get<std::string>());
    if (!token) return refuse(res, 401, "sign in: " + token.error().message);
    auto check = st.authenticate(*token);
    if (!check || !check->principal)
      return refuse(res, 503, "sign in: " + (check ? check->refused : check.error().message));
    const Principal* p = &*check->principal;
    log_line("signed in: " + p->name + " (" + p->role + ")");
    res.set_content(nlohmann::json{{"token", *token}, {"name", p->name}, {"role", p->role}}.dump(), "application/json");
  });
  http.Post("/v1/logout", [&st, refuse, hq, bearer](const httplib::Request& req, httplib::Response& res) {
    auto p = hq(req, res, "sign out");
    if (!p) return;
    if (auto done = st.end_session(bearer(req)); !done)
      return refuse(res, 503, "sign out: " + done.error().message);
    log_line("signed out: " + p->name);
    res.set_content(R"({"ok":true})", "application/json");
  });
  http.Get("/v1/me", [hq](const httplib::Request& req, httplib::Response& res) {
    auto p = hq(req, res, "me");
    if (!p) return;
    res.set_content(nlohmann::json{{"name", p->name}, {"role", p->role}}.dump(), "application/json");
  });
  http.Get("/v1/shelters", [&st, refuse, hq](const httplib::Request& req, httplib::Response& res) {
    if (!hq(req, res, "shelters")) return;
    auto s = st.shelters();
    if (!s) return refuse(res, 503, s.error().message);
    res.set_content(s->dump(), "application/json");
  });
  http.Get("/v1/timeline", [&st, refuse, hq](const httplib::Request& req, httplib::Response& res) {
    if (!hq(req, res, "timeline")) return;
    int hours = 48;
    try {
      if (req.has_param("hours")) hours = std::stoi(req.get_param_value("hours"));
    } catch (const std::exception&) {
      hours = -1;
    }
    if (hours < 1 || hours > 24 * 60) return refuse(res, 400, "timeline: hours must be 1 to 1440");
    auto t = st.timeline(now_ms() - static_cast<std::int64_t>(hours) * 3600'000);
    if (!t) return refuse(res, 503, t.error().message);
    res.set_content(nlohmann::json{{"time", now_ms()}, {"hours", hours}, {"series", *t}}.dump(), "application/json");
  });
  http.Get("/v1/search", [&st, refuse, searcher](const httplib::Request& req, httplib::Response& res) {
    auto p = searcher(req, res, "search");
    if (!p) return;
    const std::string text = req.get_param_value("q");
    if (text.empty() || text.size() > 100) return refuse(res, 400, "search: give q, 1 to 100 bytes");
    const std::string year = req.get_param_value("birth_year");
    if (!year.empty() && (year.size() != 4 || year.find_first_not_of("0123456789") != std::string::npos))
      return refuse(res, 400, "search: birth_year must be four digits");
    auto found = st.search_consenting(text);
    if (!found) return refuse(res, 503, found.error().message);
    nlohmann::json out = nlohmann::json::array();
    for (auto& f : *found)
      if (year.empty() || f.value("birth", "").rfind(year, 0) == 0) out.push_back(std::move(f));
    // Every search is logged: who searched and how much they saw (not for whom).
    log_line("search by " + p->name + (year.empty() ? "" : " (with a year)") + ": " + std::to_string(out.size()) +
             " result(s)");
    res.set_content(out.dump(), "application/json");
  });
  http.Get("/v1/export/counts.csv", [&st, refuse, hq](const httplib::Request& req, httplib::Response& res) {
    auto p = hq(req, res, "export counts");
    if (!p) return;
    auto c = st.counts("");
    auto s = st.shelters();
    if (!c || !s) return refuse(res, 503, (!c ? c.error() : s.error()).message);
    log_line("counts exported by " + p->name);
    res.set_header("Content-Disposition", "attachment; filename=\"shelter-counts.csv\"");
    res.set_content("\xEF\xBB\xBF" + situation_report_csv(*c, *s), "text/csv; charset=utf-8");
  });
  http.Get("/v1/export/roster.csv", [&st, refuse, searcher](const httplib::Request& req, httplib::Response& res) {
    auto p = searcher(req, res, "export roster");
    if (!p) return;
    auto people = st.persons(false);
    if (!people) return refuse(res, 503, people.error().message);
    log_line("roster exported by " + p->name + ": " + std::to_string(people->size()) + " person(s)");
    res.set_header("Content-Disposition", "attachment; filename=\"shelter-roster.csv\"");
    res.set_content("\xEF\xBB\xBF" + roster_csv(*people), "text/csv; charset=utf-8");
  });
  http.Get("/v1/export/pfif.xml", [&st, refuse, searcher](const httplib::Request& req, httplib::Response& res) {
    auto p = searcher(req, res, "export PFIF");
    if (!p) return;
    auto people = st.persons(true);
    auto s = st.shelters();
    if (!people || !s) return refuse(res, 503, (!people ? people.error() : s.error()).message);
    log_line("PFIF exported by " + p->name + ": " + std::to_string(people->size()) + " consenting person(s)");
    res.set_header("Content-Disposition", "attachment; filename=\"shelter-pfif.xml\"");
    res.set_content(pfif_xml(*people, *s, "shelter-checkin", utc_now("%Y-%m-%dT%H:%M:%SZ")), "application/xml; charset=utf-8");
  });
  // The dashboard: static files, no scripts from elsewhere.
  if (!impl_->options.dashboard_dir.empty() && !http.set_mount_point("/", impl_->options.dashboard_dir))
    log_line("dashboard folder " + impl_->options.dashboard_dir + " not found: serving the API only");
  http.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'");
    res.set_header("Cache-Control", "no-store");
  });
}

Server::~Server() { stop(); }

Status Server::run() {
  auto& http = impl_->http;
  if (impl_->options.port == 0) {
    impl_->bound = http.bind_to_any_port(impl_->options.host);
  } else if (http.bind_to_port(impl_->options.host, impl_->options.port)) {
    impl_->bound = impl_->options.port;
  }
  if (impl_->bound <= 0)
    return fail("listen on " + impl_->options.host + ":" + std::to_string(impl_->options.port) + ": cannot bind");
  log_line("listening on " + impl_->options.host + ":" + std::to_string(impl_->bound));
  if (!http.listen_after_bind()) return fail("serve: the listener stopped with an error");
  return {};
}

void Server::stop() {
  if (impl_) impl_->http.stop();
}

int Server::port() const { return impl_->bound; }

}  // namespace shelter::sync
