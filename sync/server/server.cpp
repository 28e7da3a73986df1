#include "sync/server/server.hpp"

#include <httplib.h>

#include <chrono>
#include <iostream>

namespace shelter::sync {

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class SqliteServerStore final : public ServerStore {
 public:
  explicit SqliteServerStore(std::unique_ptr<Store> store) : store_(std::move(store)) {}

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
  return std::unique_ptr<ServerStore>(new SqliteServerStore(std::move(store).value()));
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
  http.Post("/v1/push", [&st, refuse](const httplib::Request& req, httplib::Response& res) {
    auto request = decode_push_request(req.body);
    if (!request) return refuse(res, 400, request.error().message);
    auto reply = st.push(*request);
    if (!reply) return refuse(res, 503, reply.error().message);
    res.set_content(encode(*reply), "application/json");
  });
  http.Get("/v1/pull", [&st, refuse](const httplib::Request& req, httplib::Response& res) {
    const std::string shelter = req.get_param_value("shelter");
    if (!is_valid_slug(shelter)) return refuse(res, 400, "pull: shelter must be a shelter id");
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
  http.Get("/v1/counts", [&st, refuse](const httplib::Request& req, httplib::Response& res) {
    const std::string shelter = req.get_param_value("shelter");
    if (!shelter.empty() && !is_valid_slug(shelter)) return refuse(res, 400, "counts: bad shelter id");
    auto c = st.counts(shelter);
    if (!c) return refuse(res, 503, c.error().message);
    res.set_content(c->dump(), "application/json");
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
