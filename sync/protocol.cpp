#include "sync/protocol.hpp"

#include <nlohmann/json.hpp>

namespace shelter::sync {

namespace {

using nlohmann::json;

Result<json> parse_object(std::string_view body, const char* what) {
  if (body.size() > kMaxBodyBytes)
    return fail(std::string(what) + ": body of " + std::to_string(body.size()) + " bytes is over the limit of " +
                std::to_string(kMaxBodyBytes));
  if (!json_depth_within(body, kMaxJsonDepth))
    return fail(std::string(what) + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(std::string(what) + ": not a JSON object");
  if (!j.contains("v") || !j["v"].is_number_integer() || j["v"].get<int>() != kProtocolVersion)
    return fail(std::string(what) + ": protocol version must be " + std::to_string(kProtocolVersion));
  return j;
}

Result<std::vector<Event>> parse_events(const json& j, const char* what) {
  if (!j.contains("events") || !j["events"].is_array()) return fail(std::string(what) + ": no events array");
  const auto& arr = j["events"];
  if (arr.size() > kMaxBatchEvents)
    return fail(std::string(what) + ": " + std::to_string(arr.size()) + " events is over the batch limit of " +
                std::to_string(kMaxBatchEvents));
  std::vector<Event> out;
  out.reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i) {
    auto e = event_from_json(arr[i]);  // validated there, as every event from any source
    if (!e) return e.error().context(std::string(what) + ": event " + std::to_string(i));
    out.push_back(std::move(e).value());
  }
  return out;
}

json events_json(const std::vector<Event>& events) {
  json arr = json::array();
  for (const auto& e : events) arr.push_back(to_json(e));
  return arr;
}

// "sigs": {event id: hex}, volunteers' signatures of staff events.
void put_signatures(json& j, const std::map<std::string, std::string>& signatures) {
  if (signatures.empty()) return;
  json sigs = json::object();
  for (const auto& [id, sig] : signatures) sigs[id] = signing::to_hex(sig);
  j["sigs"] = std::move(sigs);
}

Status take_signatures(const json& j, size_t events, const char* what, std::map<std::string, std::string>& out) {
  if (!j.contains("sigs")) return {};
  const json& sigs = j["sigs"];
  if (!sigs.is_object() || sigs.size() > events)
    return fail(std::string(what) + ": sigs must map the batch's event ids to signatures");
  for (const auto& [id, hex] : sigs.items()) {
    if (!hex.is_string()) return fail(std::string(what) + ": the signature of " + id + " must be hex text");
    auto sig = signing::from_hex(hex.get<std::string>(), signing::kSignatureBytes);
    if (!sig) return fail(std::string(what) + ": the signature of " + id + ": " + sig.error().message);
    out[id] = std::move(*sig);
  }
  return {};
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

bool json_depth_within(std::string_view body, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character, whatever it is
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

std::string encode(const PushRequest& r) {
  json j{{"v", kProtocolVersion}, {"device", r.device_id}, {"events", events_json(r.events)}};
  put_signatures(j, r.staff_signatures);
  return j.dump();
}

std::string encode(const PushReply& r) {
  json j{{"v", kProtocolVersion}, {"ack", r.acknowledged}, {"new", r.new_events}, {"time", r.server_time_ms}};
  if (!r.refused.empty()) {
    json refused = json::array();
    for (const auto& f : r.refused) {
      json x{{"id", f.id}, {"code", f.code}, {"reason", f.reason}};
      if (f.expected_seq > 0) x["expected_seq"] = f.expected_seq;
      refused.push_back(std::move(x));
    }
    j["refused"] = std::move(refused);
  }
  if (!r.clamped.empty()) {
    json clamped = json::array();
    for (const auto& [id, clamp] : r.clamped) clamped.push_back({{"id", id}, {"clamp", clamp}});
    j["clamped"] = std::move(clamped);
  }
  return j.dump();
}

std::string encode(const PullReply& r) {
  json j{{"v", kProtocolVersion},
         {"events", events_json(r.events)},
         {"next", r.next_cursor},
         {"more", r.more},
         {"time", r.server_time_ms}};
  put_signatures(j, r.staff_signatures);
  if (!r.refused.empty() || !r.clamped.empty() || r.refused_next != 0) {
    json refused = json::array();
    for (const auto& f : r.refused) {
      json x{{"id", f.id}, {"code", f.code}, {"reason", f.reason}};
      if (f.expected_seq != 0) x["expected_seq"] = f.expected_seq;
      refused.push_back(std::move(x));
    }
    j["refused"] = std::move(refused);
    json clamped = json::array();
    for (const auto& [id, clamp] : r.clamped) clamped.push_back({{"id", id}, {"clamp", clamp}});
    j["clamped"] = std::move(clamped);
    j["refused_next"] = r.refused_next;
  }
  return j.dump();
}

Result<PushRequest> decode_push_request(std::string_view body) {
  auto j = parse_object(body, "push");
  if (!j) return j.error();
  PushRequest r;
  if (!j->contains("device") || !(*j)["device"].is_string()) return fail("push: no device");
  r.device_id = (*j)["device"].get<std::string>();
  auto events = parse_events(*j, "push");
  if (!events) return events.error();
  r.events = std::move(events).value();
  // Events of other devices are relayed (imported from a file); the server
  // decides per event what this credential may write.
  for (const auto& e : r.events)
    if (e.clamp != 0) return fail("push: event " + e.id + " carries a clamp: only the server sets clamps");
  if (auto st = take_signatures(*j, r.events.size(), "push", r.staff_signatures); !st) return st.error();
  return r;
}

Result<PushReply> decode_push_reply(std::string_view body) {
  auto j = parse_object(body, "push reply");
  if (!j) return j.error();
  PushReply r;
  if (!j->contains("ack") || !(*j)["ack"].is_array()) return fail("push reply: no ack list");
  for (const auto& id : (*j)["ack"]) {
    if (!id.is_string()) return fail("push reply: ack is not a list of ids");
    r.acknowledged.push_back(id.get<std::string>());
  }
  if (j->contains("new") && !(*j)["new"].is_number_integer()) return fail("push reply: new is not a whole number");
  if (j->contains("time") && !(*j)["time"].is_number_integer()) return fail("push reply: time is not a whole number");
  r.new_events = static_cast<int>(j->value("new", std::int64_t{0}));
  r.server_time_ms = j->value("time", std::int64_t{0});
  if (j->contains("refused")) {
    const auto& refused = (*j)["refused"];
    if (!refused.is_array()) return fail("push reply: refused is not a list");
    for (const auto& f : refused) {
      if (!f.is_object() || !f.contains("id") || !f["id"].is_string() || !f.contains("code") ||
          !f["code"].is_string() || !f.contains("reason") || !f["reason"].is_string() ||
          (f.contains("expected_seq") && !f["expected_seq"].is_number_integer()))
        return fail("push reply: a refusal needs id, code and reason");
      r.refused.push_back({f["id"].get<std::string>(), f["code"].get<std::string>(), f["reason"].get<std::string>(),
                           f.value("expected_seq", std::int64_t{0})});
    }
  }
  if (j->contains("clamped")) {
    const auto& clamped = (*j)["clamped"];
    if (!clamped.is_array()) return fail("push reply: clamped is not a list");
    for (const auto& c : clamped) {
      if (!c.is_object() || !c.contains("id") || !c["id"].is_string() || !c.contains("clamp") ||
          !c["clamp"].is_number_unsigned())
        return fail("push reply: a clamp needs id and clamp");
      r.clamped.emplace_back(c["id"].get<std::string>(), c["clamp"].get<Hlc>());
    }
  }
  return r;
}

Result<PullReply> decode_pull_reply(std::string_view body) {
  auto j = parse_object(body, "pull reply");
  if (!j) return j.error();
  PullReply r;
  auto events = parse_events(*j, "pull reply");
  if (!events) return events.error();
  r.events = std::move(events).value();
  if (!j->contains("next") || !(*j)["next"].is_number_integer()) return fail("pull reply: no next cursor");
  r.next_cursor = (*j)["next"].get<std::int64_t>();
  if (j->contains("more") && !(*j)["more"].is_boolean()) return fail("pull reply: more is not true or false");
  if (j->contains("time") && !(*j)["time"].is_number_integer()) return fail("pull reply: time is not a whole number");
  r.more = j->value("more", false);
  r.server_time_ms = j->value("time", std::int64_t{0});
  if (auto st = take_signatures(*j, r.events.size(), "pull reply", r.staff_signatures); !st) return st.error();
  if (j->contains("refused")) {
    const auto& list = (*j)["refused"];
    if (!list.is_array() || list.size() > kMaxBatchEvents) return fail("pull reply: refused is not a short list");
    for (const auto& x : list) {
      if (!x.is_object() || !x.contains("id") || !x["id"].is_string() || !x.contains("code") || !x["code"].is_string())
        return fail("pull reply: a refusal without id and code");
      Refusal f{x["id"].get<std::string>(), x["code"].get<std::string>(), "", 0};
      if (x.contains("reason") && x["reason"].is_string()) f.reason = x["reason"].get<std::string>();
      if (x.contains("expected_seq") && x["expected_seq"].is_number_integer())
        f.expected_seq = x["expected_seq"].get<std::int64_t>();
      r.refused.push_back(std::move(f));
    }
    if (j->contains("clamped")) {
      const auto& clamps = (*j)["clamped"];
      if (!clamps.is_array() || clamps.size() > kMaxBatchEvents) return fail("pull reply: clamped is not a short list");
      for (const auto& c : clamps) {
        if (!c.is_object() || !c.contains("id") || !c["id"].is_string() || !c.contains("clamp") ||
            !c["clamp"].is_number_unsigned())
          return fail("pull reply: a clamp without id and clamp");
        r.clamped.emplace_back(c["id"].get<std::string>(), c["clamp"].get<Hlc>());
      }
    }
    if (!j->contains("refused_next") || !(*j)["refused_next"].is_number_integer())
      return fail("pull reply: refused without refused_next");
    r.refused_next = (*j)["refused_next"].get<std::int64_t>();
  }
  return r;
}

std::string encode(const VolunteersRequest& r) {
  json list = json::array();
  for (const auto& v : r.volunteers)
    list.push_back({{"name", v.name},
                    {"role", v.role},
                    {"public_key", signing::to_hex(v.public_key)},
                    {"vouched_by", v.vouched_by},
                    {"vouch", signing::to_hex(v.vouch)}});
  return json{{"v", kProtocolVersion}, {"device", r.device_id}, {"volunteers", std::move(list)}}.dump();
}

Result<VolunteersRequest> decode_volunteers_request(std::string_view body) {
  auto j = parse_object(body, "volunteers");
  if (!j) return j.error();
  VolunteersRequest r;
  if (!j->contains("device") || !(*j)["device"].is_string()) return fail("volunteers: no device");
  r.device_id = (*j)["device"].get<std::string>();
  if (!j->contains("volunteers") || !(*j)["volunteers"].is_array()) return fail("volunteers: no list of volunteers");
  const json& list = (*j)["volunteers"];
  if (list.size() > kMaxVolunteersPerRequest)
    return fail("volunteers: at most " + std::to_string(kMaxVolunteersPerRequest) + " in one request");
  for (const json& x : list) {
    if (!x.is_object()) return fail("volunteers: each is an object");
    auto text = [&](const char* k) { return x.contains(k) && x[k].is_string() ? x[k].get<std::string>() : ""; };
    VolunteerKey v{text("name"), text("role"), "", text("vouched_by"), ""};
    if (v.role != "lead" && v.role != "volunteer") return fail("volunteers: role is lead or volunteer");
    auto key = signing::from_hex(text("public_key"), signing::kPublicKeyBytes);
    if (!key) return fail("volunteers: public_key: " + key.error().message);
    v.public_key = std::move(*key);
    if (!text("vouch").empty()) {
      auto vouch = signing::from_hex(text("vouch"), signing::kSignatureBytes);
      if (!vouch) return fail("volunteers: vouch: " + vouch.error().message);
      v.vouch = std::move(*vouch);
    }
    r.volunteers.push_back(std::move(v));
  }
  return r;
}

std::string encode(const std::vector<VolunteerAnswer>& answers) {
  json list = json::array();
  for (const auto& a : answers)
    list.push_back({{"name", a.name},
                    {"public_key", signing::to_hex(a.public_key)},
                    {"registered", a.registered},
                    {"reason", a.reason}});
  return json{{"v", kProtocolVersion}, {"volunteers", std::move(list)}}.dump();
}

Result<std::vector<VolunteerAnswer>> decode_volunteers_reply(std::string_view body) {
  auto j = parse_object(body, "volunteers reply");
  if (!j) return j.error();
  if (!j->contains("volunteers") || !(*j)["volunteers"].is_array()) return fail("volunteers reply: no list");
  std::vector<VolunteerAnswer> out;
  for (const json& x : (*j)["volunteers"]) {
    if (!x.is_object() || !x.contains("name") || !x["name"].is_string() || !x.contains("public_key") ||
        !x["public_key"].is_string() || !x.contains("registered") || !x["registered"].is_boolean())
      return fail("volunteers reply: each answer has name, public_key and registered");
    auto key = signing::from_hex(x["public_key"].get<std::string>(), signing::kPublicKeyBytes);
    if (!key) return fail("volunteers reply: public_key: " + key.error().message);
    out.push_back({x["name"].get<std::string>(), std::move(*key), x["registered"].get<bool>(),
                   x.contains("reason") && x["reason"].is_string() ? x["reason"].get<std::string>() : ""});
  }
  return out;
}

std::string error_body(std::string_view message) {
  return json{{"error", message}}.dump();
}

std::string error_message(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) return j["error"].get<std::string>();
  return std::string(body.substr(0, 200));
}

std::string encode(const KeysReply& r) {
  json keys = json::array(), hq = json::array();
  for (const auto& k : r.keys) {
    json x{{"kind", k.kind}, {"key_id", k.key_id}, {"key", signing::to_hex(k.public_key)}, {"revoked", k.revoked}};
    if (k.kind == "device") {
      x["device"] = k.device_id;
      x["shelter"] = k.shelter_id;
    }
    // Headquarters' box keys in a list of their own: a daemon of an earlier
    // version refuses a kind it does not know in "keys".
    (k.kind == "hq" ? hq : keys).push_back(std::move(x));
  }
  json out{{"v", kProtocolVersion}, {"keys", keys}, {"time", r.server_time_ms}};
  if (!hq.empty()) out["hq_keys"] = hq;
  return out.dump();
}

Result<KeysReply> decode_keys_reply(std::string_view body) {
  auto j = parse_object(body, "keys");
  if (!j) return j.error();
  if (!j->contains("keys") || !(*j)["keys"].is_array()) return fail("keys: no keys array");
  json arr = (*j)["keys"];
  const size_t signing_keys = arr.size();
  if (j->contains("hq_keys")) {
    if (!(*j)["hq_keys"].is_array()) return fail("keys: hq_keys is not an array");
    for (const auto& x : (*j)["hq_keys"]) arr.push_back(x);
  }
  if (arr.size() > kMaxKeys) return fail("keys: more than " + std::to_string(kMaxKeys) + " keys");
  KeysReply out;
  for (size_t i = 0; i < arr.size(); ++i) {
    const json& x = arr[i];
    const bool in_hq = i >= signing_keys;
    const std::string where =
        in_hq ? "keys: hq key " + std::to_string(i - signing_keys) : "keys: key " + std::to_string(i);
    auto text = [&](const char* field) -> std::string {
      return x.is_object() && x.contains(field) && x[field].is_string() ? x[field].get<std::string>() : "";
    };
    signing::TrustedKey k;
    k.kind = text("kind");
    k.key_id = text("key_id");
    if (in_hq ? k.kind != "hq" : k.kind != "device" && k.kind != "card")
      return fail(where + (in_hq ? ": kind must be hq" : ": kind must be device or card"));
    auto pub = signing::from_hex(text("key"), signing::kPublicKeyBytes);
    if (!pub) return pub.error().context(where);
    k.public_key = *pub;
    if (k.key_id != signing::key_id(k.public_key)) return fail(where + ": key_id does not match the key");
    if (k.kind == "device") {
      k.device_id = text("device");
      k.shelter_id = text("shelter");
      if (!is_valid_slug(k.device_id) || !is_valid_slug(k.shelter_id))
        return fail(where + ": device and shelter must be ids");
    }
    if (!x.contains("revoked") || !x["revoked"].is_boolean()) return fail(where + ": revoked must be true or false");
    k.revoked = x["revoked"].get<bool>();
    out.keys.push_back(std::move(k));
  }
  if (j->contains("time") && (*j)["time"].is_number_integer()) out.server_time_ms = (*j)["time"].get<std::int64_t>();
  return out;
}

}  // namespace shelter::sync
