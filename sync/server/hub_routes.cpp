// The routes of shelter hubs (hub_relay.hpp, docs/protocol.md "Shelter
// hubs"). At the city: a hub reports its kiosks (and the keys of those it
// enrolled while the city was out of reach) and reads its shelter's
// volunteer keys. At a hub: its kiosks read the hub's link to the city.
#include "sync/server/hub_relay.hpp"
#include "sync/server/routes.hpp"

namespace shelter::sync {

namespace {

nlohmann::json optional_ms(const std::optional<std::int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

std::optional<std::int64_t> ms_field(const nlohmann::json& j, const char* k) {
  if (j.contains(k) && j[k].is_number_integer()) return j[k].get<std::int64_t>();
  return std::nullopt;
}

// POST /v1/hub/report (a hub's token): {"v":1, "kiosks":[{"device",
// "public_key"?, "last_push"?, "last_pull"?}], "waiting": N}.
ApiReply hub_report(ServerStore& st, const Principal& p, const ApiRequest& req, std::int64_t now) {
  if (!json_depth_within(req.body, kMaxJsonDepth)) return refused(400, "hub report: JSON nested too deep");
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (!j.is_object() || !j.contains("kiosks") || !j["kiosks"].is_array())
    return refused(400, "hub report: give {\"v\":1, \"kiosks\": [...]}");
  if (j["kiosks"].size() > 1000) return refused(400, "hub report: at most 1000 kiosks");
  HubReport report{p.device_id, p.shelter_id, now, ms_field(j, "waiting").value_or(0), {}};
  nlohmann::json answers = nlohmann::json::array();
  int registered = 0;
  ApiReply out;
  for (const auto& k : j["kiosks"]) {
    if (!k.is_object() || !k.contains("device") || !k["device"].is_string() ||
        !is_valid_slug(k["device"].get<std::string>()))
      return refused(400, "hub report: each kiosk has a device id");
    const std::string device = k["device"].get<std::string>();
    report.kiosks.push_back({device, ms_field(k, "last_push"), ms_field(k, "last_pull")});
    if (!k.contains("public_key")) continue;
    auto raw = k["public_key"].is_string()
                   ? signing::from_hex(k["public_key"].get<std::string>(), signing::kPublicKeyBytes)
                   : Result<std::string>(fail("not hex text"));
    if (!raw) return refused(400, "hub report: public_key of " + device + ": " + raw.error().message);
    auto added = st.adopt_device_key(p, device, *raw);
    if (added && *added) {
      ++registered;
      out.log.push_back("hub " + p.device_id + " registered kiosk " + device + " of shelter " + p.shelter_id +
                        " (key " + signing::key_id(*raw) + ")");
    } else if (!added) {
      out.log.push_back("hub " + p.device_id + ": kiosk " + device + " refused: " + added.error().message);
      answers.push_back({{"device", device}, {"reason", added.error().message}});
    }
  }
  st.hub_reports().put(std::move(report));
  out.body =
      nlohmann::json{{"v", kProtocolVersion}, {"registered", registered}, {"refused", answers}, {"time", now}}.dump();
  return out;
}

// GET /v1/hub/volunteers (a hub's token): its shelter's volunteers' keys.
ApiReply hub_volunteers(ServerStore& st, const Principal& p, std::int64_t now) {
  auto keys = st.volunteer_keys(p.shelter_id);
  if (!keys) return refused(503, "hub volunteers: " + keys.error().message);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& k : *keys)
    list.push_back(
        {{"name", k.name}, {"role", k.role}, {"public_key", signing::to_hex(k.public_key)}, {"revoked", k.revoked}});
  return json_reply(nlohmann::json{{"v", kProtocolVersion}, {"volunteers", list}, {"time", now}}.dump());
}

}  // namespace

ApiReply hub_queue_import(ServerStore& st, const Principal& p, const ApiRequest& req) {
  auto settings = load_hub_settings(st);
  if (!settings) return refused(503, "import: " + settings.error().message);
  if (!*settings) return refused(503, "import: this server has no headquarters key file (--hq-key)");
  std::string db_path;
  (void)st.with_local_store([&](Store& s) -> Status {
    db_path = s.path();
    return {};
  });
  auto queued = queue_for_relay(db_path, (*settings)->shelter_id, req.body);
  if (!queued) return refused(400, "import: " + queued.error().message);
  ApiReply out = json_reply(nlohmann::json{{"v", kProtocolVersion}, {"queued", true}}.dump());
  out.log.push_back("hub: queued a USB file relayed by device " + p.device_id + " for the city");
  return out;
}

nlohmann::json hub_link_json(ServerStore& st) {
  auto settings = load_hub_settings(st);
  if (!settings || !*settings) return nlohmann::json();
  auto link = hub_link_state(st);
  if (!link) return nlohmann::json{{"hub", (*settings)->device_id}, {"state", "error: " + link.error().message}};
  return nlohmann::json{{"hub", (*settings)->device_id},
                        {"shelter", (*settings)->shelter_id},
                        {"city", (*settings)->city},
                        {"state", link->state},
                        {"last_relay", optional_ms(link->last_relay_ms)},
                        {"waiting", link->waiting}};
}

nlohmann::json hub_reports_json(ServerStore& st) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : st.hub_reports().all()) {
    nlohmann::json kiosks = nlohmann::json::array();
    for (const auto& k : r.kiosks)
      kiosks.push_back({{"device", k.device_id},
                        {"last_push", optional_ms(k.last_push_ms)},
                        {"last_pull", optional_ms(k.last_pull_ms)}});
    list.push_back({{"hub", r.hub_device},
                    {"shelter", r.shelter_id},
                    {"last_relay", r.at_ms},
                    {"waiting", r.waiting},
                    {"kiosks", kiosks}});
  }
  return list;
}

ApiReply serve_hub(ServerStore& st, const Principal& p, const ApiRequest& req, std::int64_t now) {
  if (req.path == "/v1/hub/status") {
    // A kiosk asks the server it syncs with whether it is a hub, and how
    // the hub's link to the city is.
    if (p.kind != Principal::Kind::Kiosk) return refused(403, "hub status: kiosks only");
    nlohmann::json link = hub_link_json(st);
    nlohmann::json out{{"v", kProtocolVersion}, {"hub", !link.is_null()}, {"time", now}};
    if (!link.is_null()) out["link"] = std::move(link);
    return json_reply(out.dump());
  }
  if (!p.is_hub()) return refused(403, req.path + ": shelter hubs only (shelter-server enrol-code --hub)");
  if (req.path == "/v1/hub/report") return hub_report(st, p, req, now);
  if (req.path == "/v1/hub/volunteers") return hub_volunteers(st, p, now);
  return refused(404, "no such route");
}

}  // namespace shelter::sync
