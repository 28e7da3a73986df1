#include "sync/server/server.hpp"

#include <httplib.h>

#include <chrono>
#include <optional>
#include <iostream>

namespace shelter::sync {

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class SqliteServerStore final : public ServerStore {
 public:
  explicit SqliteServerStore(std::unique_ptr<Store> store) : store_(std::move(store)), auth_(store_->db()) {}
  Status migrate() { return auth_.migrate(); }

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
        out.push_back({{"name", p.info.name}, {"reading", p.info.reading}, {"shelter", p.shelter_id},
                       {"presence", to_string(p.presence)}});
    return out;
  }
  Result<Principal> authenticate(const std::string& token) override {
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
  Result<std::string> add_user(const std::string& name, const std::string& role) override {
    std::lock_guard lock(mu_);
    return auth_.add_user(name, role);
  }

  Result<PushReply> push(const PushRequest& request) override {
    std::lock_guard lock(mu_);
    auto added = store_->apply_remote(request.events);
    if (!added) return added.error().context("store batch");
    PushReply reply;
    for (const auto& e : request.events) reply.acknowledged.push_back(e.id);
    reply.new_events = *added;
    reply.server_time_ms = now_ms();
    return reply;
  }

  Result<PullReply> pull(const std::string& shelter_id, std::int64_t after, int limit) override {
    std::lock_guard lock(mu_);
    auto feed = store_->shelter_feed_after(shelter_id, after, limit + 1);
    if (!feed) return feed.error();
    PullReply reply;
    reply.more = static_cast<int>(feed->size()) > limit;
    if (reply.more) feed->pop_back();
    reply.next_cursor = feed->empty() ? after : feed->back().first;
    for (auto& [seq, e] : *feed) reply.events.push_back(std::move(e));
    reply.server_time_ms = now_ms();
    return reply;
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
      out.push_back({{"shelter", s},           {"present", c->present},     {"out", c->out},
                     {"households", c->households}, {"by_sex", c->by_sex}, {"by_age_band", c->by_age_band},
                     {"by_need", c->by_need},  {"by_stay", c->by_stay}});
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

}  // namespace

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
  // Who is asking: a kiosk or a headquarters user, from the bearer token.
  auto who = [&st, refuse](const httplib::Request& req, httplib::Response& res) -> std::optional<Principal> {
    const std::string header = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    auto p = st.authenticate(header.rfind(prefix, 0) == 0 ? header.substr(prefix.size()) : "");
    if (!p) {
      refuse(res, 401, req.path + ": " + p.error().message);
      return std::nullopt;
    }
    return *p;
  };
  http.Post("/v1/enrol", [&st, refuse](const httplib::Request& req, httplib::Response& res) {
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (!j.is_object() || !j.contains("code") || !j["code"].is_string() || !j.contains("device") ||
        !j["device"].is_string())
      return refuse(res, 400, "enrol: give code and device");
    std::string token;
    auto p = st.enrol(j["code"].get<std::string>(), j["device"].get<std::string>(), token);
    if (!p) return refuse(res, 403, p.error().message);
    log_line("enrolled device " + p->device_id + " at shelter " + p->shelter_id);
    res.set_content(nlohmann::json{{"v", kProtocolVersion}, {"token", token}, {"shelter", p->shelter_id}}.dump(),
                    "application/json");
  });
  http.Post("/v1/push", [&st, refuse, who](const httplib::Request& req, httplib::Response& res) {
    auto p = who(req, res);
    if (!p) return;
    if (p->kind != Principal::Kind::Kiosk) return refuse(res, 403, "push: only kiosks push");
    auto request = decode_push_request(req.body);
    if (!request) return refuse(res, 400, request.error().message);
    if (request->device_id != p->device_id) return refuse(res, 403, "push: this token belongs to device " + p->device_id);
    for (const auto& e : request->events)
      if (e.shelter_id != p->shelter_id)
        return refuse(res, 403, "push: device " + p->device_id + " may push only for shelter " + p->shelter_id);
    auto reply = st.push(*request);
    if (!reply) return refuse(res, 503, reply.error().message);
    res.set_content(encode(*reply), "application/json");
  });
  http.Get("/v1/pull", [&st, refuse, who](const httplib::Request& req, httplib::Response& res) {
    auto p = who(req, res);
    if (!p) return;
    const std::string shelter = req.get_param_value("shelter");
    if (!is_valid_slug(shelter)) return refuse(res, 400, "pull: shelter must be a shelter id");
    if (p->kind != Principal::Kind::Kiosk || p->shelter_id != shelter)
      return refuse(res, 403, "pull: this token may read only shelter " + p->shelter_id);
    std::int64_t after = 0;
    int limit = 1000;
    try {
      if (req.has_param("after")) after = std::stoll(req.get_param_value("after"));
      if (req.has_param("limit")) limit = std::stoi(req.get_param_value("limit"));
    } catch (const std::exception&) {
      return refuse(res, 400, "pull: after and limit must be numbers");
    }
    if (after < 0 || limit < 1 || limit > static_cast<int>(kMaxBatchEvents))
      return refuse(res, 400, "pull: after >= 0 and 1 <= limit <= " + std::to_string(kMaxBatchEvents));
    auto reply = st.pull(shelter, after, limit);
    if (!reply) return refuse(res, 503, reply.error().message);
    res.set_content(encode(*reply), "application/json");
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
  http.Get("/v1/search", [&st, refuse, who](const httplib::Request& req, httplib::Response& res) {
    auto p = who(req, res);
    if (!p) return;
    if (p->kind != Principal::Kind::Headquarters || p->role != "search")
      return refuse(res, 403, "search: needs a headquarters account with the search role");
    const std::string text = req.get_param_value("q");
    if (text.empty() || text.size() > 100) return refuse(res, 400, "search: give q, 1 to 100 bytes");
    auto found = st.search_consenting(text);
    if (!found) return refuse(res, 503, found.error().message);
    log_line("search by " + p->name + ": " + std::to_string(found->size()) + " result(s)");
    res.set_content(found->dump(), "application/json");
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
