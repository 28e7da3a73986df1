#include "tests/sim/sim.hpp"

#include <algorithm>
#include <filesystem>

#include <pqxx/pqxx>

#include "core/secrets.hpp"
#include "core/volunteers.hpp"
#include "sync/protocol.hpp"

namespace shelter::sim {

Result<std::unique_ptr<Server>> Server::open(const std::string& dir, const std::string& pg_url, WorldClock& clock) {
  if (!pg_url.empty()) {
    try {
      pqxx::connection c(pg_url);
      pqxx::work w(c);
      w.exec("SET client_min_messages TO warning");
      w.exec(
          "DROP TABLE IF EXISTS event, person, count_cell, feed_counter, refused_event, auth_enrolment, auth_token, "
          "hq_user, shelter_info, device_status, schema_info, household_presence, signing_key CASCADE");
      w.commit();
    } catch (const std::exception& e) {
      return fail(std::string("empty the PostgreSQL database: ") + e.what());
    }
  }
  std::unique_ptr<Server> s(new Server(dir + "/server.db", pg_url, clock));
  if (auto st = s->restart(); !st) return st.error();
  // Headquarters' key: kiosks seal USB exports to it (sequence 6, relays).
  s->hq_ = sealing::generate();
  if (auto id = s->store_->add_hq_key(s->hq_.public_key); !id) return id.error();
  s->store_->set_hq_secret(s->hq_);
  return s;
}

Status Server::restart() {
  store_.reset();
  auto st = pg_.empty() ? sync::open_sqlite_server_store(path_) : sync::open_pg_server_store(pg_);
  if (!st) return st.error().context("open server store");
  store_ = std::move(st).value();
  store_->set_hq_secret(hq_);
  return {};
}

Result<std::string> Server::enrolment_code(const std::string& shelter, const std::string& device,
                                           const std::string& role) {
  return store_->create_enrolment(shelter, device, 24 * 30, role);
}

Result<sync::WireReply> Server::handle(const sync::WireRequest& r) {
  auto reply = [](const sync::ApiReply& a) { return sync::WireReply{a.status, a.body}; };
  if (r.method == "POST" && r.path == "/v1/enrol") return reply(sync::serve_enrol(*store_, r.body, clock_.now));
  auto who = store_->authenticate(r.token);
  if (!who) return sync::WireReply{503, sync::error_body(who.error().message)};
  if (!who->principal) return sync::WireReply{401, sync::error_body(who->refused)};
  if (r.method == "POST" && r.path == "/v1/push") {
    auto a = sync::serve_push(*store_, *who->principal, r.body, clock_.now);
    if (a.status == 200) {
      auto decoded = sync::decode_push_reply(a.body);
      if (decoded)
        for (const auto& id : decoded->acknowledged) acknowledged.insert(id);
    }
    return reply(a);
  }
  if (r.method == "GET" && r.path.rfind("/v1/pull?", 0) == 0) {
    std::map<std::string, std::string> q;
    std::string rest = r.path.substr(9);
    for (size_t pos = 0; pos <= rest.size();) {
      size_t amp = rest.find('&', pos);
      if (amp == std::string::npos) amp = rest.size();
      const std::string kv = rest.substr(pos, amp - pos);
      const size_t eq = kv.find('=');
      if (eq != std::string::npos) q[kv.substr(0, eq)] = kv.substr(eq + 1);
      pos = amp + 1;
    }
    return reply(sync::serve_pull(*store_, *who->principal, q["shelter"], std::stoll(q["after"]), std::stoi(q["limit"]),
                                  clock_.now, q.count("refused_after") ? std::stoll(q["refused_after"]) : 0));
  }
  // Every other route as the HTTP layer serves it (keys, import,
  // volunteers, the hubs' routes).
  sync::ApiRequest req;
  req.method = r.method;
  req.path = r.path;
  req.body = r.body;
  req.authorization = "Bearer " + r.token;
  return reply(sync::route(*store_, req, clock_.now));
}

Kiosk::Kiosk(std::string dir, std::string shelter, std::string device, WorldClock& clock, std::int64_t error)
    : clock_error(error),
      dir_(std::move(dir)),
      shelter_(std::move(shelter)),
      device_(std::move(device)),
      clock_(clock) {
  path_ = dir_ + "/" + device_ + ".db";
  // Keys made at random, not from PINs: a simulation makes thousands of
  // kiosks, and Argon2id takes 0.1 s a key.
  for (const char* name : kTeam) team_.push_back({staff_author(name), signing::generate()});
}

Status Kiosk::open() {
  Store::Options o;
  o.wall_clock = [this] { return wall(); };
  auto s = Store::open(path_, o);
  if (!s) return s.error();
  store_ = std::move(s).value();
  if (store_->device_id().empty())
    if (auto st = store_->init_identity(shelter_, device_, shelter_); !st) return st;
  for (const auto& member : team_) store_->add_staff_signer(member);
  return {};
}

Status Kiosk::enrol(Server& server, bool hub) {
  auto code = server.enrolment_code(shelter_, device_);
  if (!code) return code.error();
  sync::SyncOptions o;
  o.hub = hub;
  o.transport = [&server](const sync::WireRequest& r) { return server.handle(r); };
  o.clock = [this] { return wall(); };
  sync::Syncer syncer(*store_, o);
  // The first of the team is the lead named at enrolment; the others are
  // registered as a kiosk registers them, vouched for by that lead.
  const StaffKey& lead = team_.front();
  if (auto st = syncer.enrol(*code, {volunteer_of(lead.author), lead.pair.public_key}); !st) return st;
  sync::VolunteersRequest req{device_, {}};
  for (size_t i = 1; i < team_.size(); ++i) {
    const std::string name = volunteer_of(team_[i].author);
    const std::string vouch =
        signing::sign(lead.pair, volunteer_statement(shelter_, name, "volunteer", team_[i].pair.public_key));
    req.volunteers.push_back({name, "volunteer", team_[i].pair.public_key, volunteer_of(lead.author), vouch});
  }
  auto secrets = load_secrets(secrets_path(path_));
  if (!secrets) return secrets.error();
  auto reply = server.handle(
      sync::WireRequest{"POST", "/v1/volunteers", sync::encode(req), hub ? secrets->hub_token : secrets->sync_token});
  if (!reply) return reply.error();
  auto answers = sync::decode_volunteers_reply(reply->body);
  if (!answers) return answers.error();
  for (const auto& a : *answers)
    if (!a.registered) return fail("register volunteer " + a.name + ": " + a.reason);
  return {};
}

Result<sync::SyncReport> Kiosk::sync(Server& server, const NetFaults& faults, std::mt19937_64& rng, bool hub) {
  std::uniform_real_distribution<double> u(0, 1);
  sync::SyncOptions o;
  o.hub = hub;
  o.batch = 50;  // small batches: more request boundaries for faults to hit
  o.clock = [this] { return wall(); };
  o.transport = [&](const sync::WireRequest& r) -> Result<sync::WireReply> {
    if (!link_up) return fail("link down");
    if (u(rng) < faults.drop_request) return fail("request lost");
    if (r.path == "/v1/push") {
      if (!sent_.empty() && u(rng) < faults.replay) {
        sync::WireRequest old = r;
        old.body = sent_[std::uniform_int_distribution<size_t>(0, sent_.size() - 1)(rng)];
        (void)server.handle(old);  // a late copy of an earlier batch
      }
      if (sent_.size() < 64) sent_.push_back(r.body);
    }
    auto reply = server.handle(r);
    if (u(rng) < faults.duplicate) (void)server.handle(r);
    if (u(rng) < faults.drop_reply) return fail("reply lost");
    return reply;
  };
  sync::Syncer syncer(*store_, o);
  auto r = syncer.sync_once();
  syncer.record_state(r);
  return r;
}

Result<std::unique_ptr<Hub>> Hub::open(const std::string& dir, const std::string& shelter, const std::string& device,
                                       WorldClock& clock, Server& city) {
  std::filesystem::create_directories(dir);
  std::unique_ptr<Hub> h(new Hub(clock, city));
  auto s = Server::open(dir, "", clock);
  if (!s) return s.error().context("hub");
  h->server_ = std::move(s).value();
  // A hub holds no headquarters key of its own: it passes on the city's.
  h->server_->forget_hq_secret();
  auto keys = h->server_->store().keys();
  if (!keys) return keys.error();
  for (const auto& k : *keys)
    if (k.kind == "hq")
      if (auto n = h->server_->store().revoke_key(k.key_id); !n) return n.error();
  h->settings_ = sync::HubSettings{shelter, device, "", ""};
  if (auto st = sync::save_hub_settings(h->server_->store(), h->settings_); !st) return st.error();
  auto code = city.enrolment_code(shelter, device, "hub");
  if (!code) return code.error().context("hub code");
  sync::HubRelayOptions o;
  o.transport = [&city](const sync::WireRequest& r) { return city.handle(r); };
  o.clock = [&clock] { return clock.now; };
  sync::HubRelay relay(h->server_->store(), h->settings_, o);
  if (auto st = relay.enrol(*code); !st) return st.error();
  return h;
}

Result<sync::RelayReport> Hub::relay(const NetFaults& faults, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  sync::HubRelayOptions o;
  o.batch = 50;
  o.clock = [this] { return clock_.now; };
  o.transport = [&](const sync::WireRequest& r) -> Result<sync::WireReply> {
    if (!up || !link_up) return fail("link down");
    if (u(rng) < faults.drop_request) return fail("request lost");
    auto reply = city_.handle(r);
    if (u(rng) < faults.duplicate) (void)city_.handle(r);
    if (u(rng) < faults.drop_reply) return fail("reply lost");
    return reply;
  };
  sync::HubRelay relay(server_->store(), settings_, o);
  auto r = relay.relay_once();
  relay.record_state(r);
  return r;
}

std::pair<std::string, Presence> reference_whereabouts(const std::vector<Recorded>& actions) {
  std::vector<Recorded> sorted = actions;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Recorded& a, const Recorded& b) { return a.real_ms < b.real_ms; });
  std::string where;
  for (const auto& a : sorted)
    if (a.type == EventType::Arrived) where = a.shelter;
  if (where.empty()) return {"", Presence::None};
  Presence p = Presence::None;
  for (const auto& a : sorted) {
    if (a.shelter != where) continue;
    switch (a.type) {
      case EventType::Arrived:
      case EventType::CameBack:
        p = Presence::Present;
        break;
      case EventType::WentOut:
        p = Presence::Out;
        break;
      case EventType::Left:
        p = Presence::Left;
        break;
      default:
        break;
    }
  }
  return {where, p};
}

Result<std::map<std::string, Event>> server_log(Server& server, WorldClock& clock, const std::string& dir,
                                                const std::vector<std::string>& shelters) {
  std::map<std::string, Event> out;
  std::mt19937_64 rng(1);
  for (const auto& shelter : shelters) {
    const std::string audit_dir = dir + "/audit";
    std::filesystem::create_directories(audit_dir);
    Kiosk auditor(audit_dir, shelter, "audit-" + shelter, clock, 0);
    std::filesystem::remove(auditor.path());
    if (auto st = auditor.open(); !st) return st.error().context("auditor");
    if (auto st = auditor.enrol(server); !st) return st.error().context("auditor");
    auto r = auditor.sync(server, NetFaults{}, rng);
    if (!r) return r.error().context("auditor pull");
    for (std::int64_t after = 0;;) {
      auto page = auditor.store().events_after(after, 5000);
      if (!page) return page.error();
      if (page->empty()) break;
      for (auto& [seq, e] : *page) {
        after = seq;
        out.emplace(e.id, std::move(e));
      }
    }
    auditor.close();
  }
  return out;
}

}  // namespace shelter::sim
