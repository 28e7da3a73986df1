// The kiosks' side of the API: enrolment, push and pull, and a USB file's
// events imported through the same push path (routes.cpp has the table of
// routes and the headquarters' side).
#include <algorithm>
#include <map>
#include <set>

#include "core/volunteer_keys.hpp"
#include "sync/server/hub_relay.hpp"
#include "sync/server/routes.hpp"

namespace shelter::sync {

ApiReply serve_enrol(ServerStore& st, std::string_view body, std::int64_t now) {
  if (!json_depth_within(body, kMaxJsonDepth)) return refused(400, "enrol: JSON nested too deep");
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("code") || !j["code"].is_string() || !j.contains("device") ||
      !j["device"].is_string())
    return refused(400, "enrol: give code and device");
  // The device's pass-signing key (hex); a kiosk without one can sync, but
  // no other kiosk will trust its passes.
  std::string public_key;
  if (j.contains("public_key")) {
    if (!j["public_key"].is_string()) return refused(400, "enrol: public_key must be hex text");
    public_key = j["public_key"].get<std::string>();
  }
  // The lead named at enrolment: their volunteer key, vouched for by the code.
  std::pair<std::string, std::string> lead;
  if (j.contains("lead")) {
    const auto& l = j["lead"];
    if (!l.is_object() || !l.contains("name") || !l["name"].is_string() || !l.contains("public_key") ||
        !l["public_key"].is_string())
      return refused(400, "enrol: lead must be {name, public_key}");
    auto key = signing::from_hex(l["public_key"].get<std::string>(), signing::kPublicKeyBytes);
    if (!key) return refused(400, "enrol: lead public_key: " + key.error().message);
    lead = {l["name"].get<std::string>(), *key};
  }
  std::string token;
  auto p = st.enrol(j["code"].get<std::string>(), j["device"].get<std::string>(), public_key, token, lead);
  if (!p) return refused(403, p.error().message);
  auto last_seq = st.last_device_seq(p->device_id);
  if (!last_seq) return refused(503, "enrol: " + last_seq.error().message);
  auto hq = st.hq_public_key();
  if (!hq) return refused(503, "enrol: " + hq.error().message);
  nlohmann::json out{
      {"v", kProtocolVersion}, {"token", token}, {"shelter", p->shelter_id}, {"time", now}, {"last_seq", *last_seq}};
  // Headquarters' box key, so that a kiosk can seal a USB export from the start.
  if (*hq) out["hq_key"] = {{"key_id", (*hq)->key_id}, {"key", signing::to_hex((*hq)->public_key)}};
  ApiReply reply = json_reply(out.dump());
  reply.log.push_back("enrolled device " + p->device_id + " at shelter " + p->shelter_id +
                      (public_key.empty() ? " (no signing key)" : ""));
  return reply;
}

namespace {

// One volunteer's key registered for device `p`, the same from a sync round
// and from a USB import. The log line names the key, never the volunteer:
// names are personal data.
Status register_and_log(ServerStore& st, const Principal& p, const VolunteerKey& v, std::vector<std::string>& log) {
  auto registered = st.register_volunteer(p, v);
  log.push_back("volunteer key " + signing::key_id(v.public_key) + " of shelter " + p.shelter_id + " from device " +
                p.device_id + (registered ? ": registered" : ": refused: " + registered.error().message));
  return registered;
}

}  // namespace

ApiReply serve_volunteers(ServerStore& st, const Principal& p, std::string_view body) {
  if (p.kind != Principal::Kind::Kiosk) return refused(403, "volunteers: only kiosks register volunteers");
  auto request = decode_volunteers_request(body);
  if (!request) return refused(400, request.error().message);
  if (request->device_id != p.device_id) return refused(403, "volunteers: this token belongs to device " + p.device_id);
  std::vector<VolunteerAnswer> answers;
  ApiReply out;
  for (const auto& v : request->volunteers) {
    auto st_ = register_and_log(st, p, v, out.log);
    answers.push_back({v.name, v.public_key, st_.ok(), st_ ? "" : st_.error().message});
  }
  out.body = encode(answers);
  return out;
}

// A staff event ("staff:<name>") is believed only with the signature of a
// key registered for that volunteer at the event's shelter
// (core/volunteer_keys.hpp): a kiosk cannot claim a volunteer's name.
std::optional<Refusal> volunteer_refusal(const Event& e, const PushRequest& request,
                                         const std::vector<VolunteerKeyRow>& keys) {
  const std::string name = volunteer_of(e.author);
  if (name.empty()) return std::nullopt;
  auto sig = request.staff_signatures.find(e.id);
  if (sig != request.staff_signatures.end()) {
    const std::string message = staff_event_message(e);
    for (const auto& k : keys)
      if (!k.revoked && k.name == name && k.shelter_id == e.shelter_id &&
          signing::verify(k.public_key, message, sig->second))
        return std::nullopt;
  }
  return Refusal{e.id, "unverified_volunteer",
                 "event " + e.id + " is a staff event without the signature of a key registered for its volunteer at " +
                     e.shelter_id,
                 0};
}

ApiReply serve_push(ServerStore& st, const Principal& p, std::string_view body, std::int64_t now) {
  if (p.kind != Principal::Kind::Kiosk) return refused(403, "push: only kiosks push");
  auto request = decode_push_request(body);
  if (!request) return refused(400, request.error().message);
  if (request->device_id != p.device_id) return refused(403, "push: this token belongs to device " + p.device_id);
  // A kiosk writes under its own shelter only, its own events or those of
  // another device of its shelter that it imported from a file (relayed).
  // An event of another shelter is refused alone: the rest of the batch is
  // stored, so one stray event never blocks a kiosk's sync.
  PushRequest admissible{request->device_id, {}, {}};
  std::optional<std::vector<VolunteerKeyRow>> volunteer_keys;  // read once, if a staff event comes
  std::vector<Refusal> unverified;
  std::vector<Refusal> elsewhere;
  // A kiosk relays events of other devices of its shelter (a USB stick
  // imported there). A device enrolled at another shelter is not one: its
  // events relayed here would take that device's next seqs.
  std::map<std::string, std::set<std::string>> shelters_of;  // device -> shelters its keys were enrolled at
  if (std::any_of(request->events.begin(), request->events.end(),
                  [&](const Event& e) { return e.device_id != p.device_id; })) {
    auto keys = st.keys();
    if (!keys) return refused(503, "push: " + keys.error().message);
    for (const auto& k : *keys)
      if (k.kind == "device") shelters_of[k.device_id].insert(k.shelter_id);
  }
  for (auto& e : request->events) {
    auto enrolled = shelters_of.find(e.device_id);
    if (e.shelter_id != p.shelter_id)
      elsewhere.push_back({e.id, "other_shelter",
                           "event " + e.id + " is for shelter " + e.shelter_id + "; device " + p.device_id +
                               " may write only for shelter " + p.shelter_id,
                           0});
    else if (e.device_id != p.device_id && enrolled != shelters_of.end() && !enrolled->second.count(e.shelter_id))
      elsewhere.push_back({e.id, "other_device",
                           "event " + e.id + " is of device " + e.device_id + ", enrolled at another shelter; device " +
                               p.device_id + " relays only devices of shelter " + p.shelter_id,
                           0});
    else {
      if (!volunteer_of(e.author).empty() && !volunteer_keys) {
        auto keys = st.volunteer_keys(p.shelter_id);
        if (!keys) return refused(503, "push: " + keys.error().message);
        volunteer_keys = std::move(*keys);
      }
      if (auto refusal = volunteer_keys ? volunteer_refusal(e, *request, *volunteer_keys) : std::nullopt)
        unverified.push_back(std::move(*refusal));
      admissible.events.push_back(std::move(e));
    }
  }
  // An unsigned copy of a stored event (a kiosk restored from an older
  // file sends again what it pulled back) is answered as the stored one
  // is: the merge acknowledges it, or refuses it as a conflict if it
  // differs. Only a new staff event needs its volunteer's signature.
  std::set<std::string> unchecked;  // unverified: refused, or (stored already) admitted without their signature
  if (!unverified.empty()) {
    std::vector<std::string> ids;
    for (const auto& f : unverified) ids.push_back(f.id);
    auto stored = st.stored_ids(ids);
    if (!stored) return refused(503, "push: " + stored.error().message);
    unchecked.insert(ids.begin(), ids.end());
    for (auto& f : unverified)
      if (!stored->count(f.id)) elsewhere.push_back(std::move(f));
    std::erase_if(admissible.events, [&](const Event& e) { return unchecked.count(e.id) > 0 && !stored->count(e.id); });
  }
  // The signatures checked above go with the events from now on; an
  // unchecked one (a copy of a stored event) is not kept.
  for (const auto& e : admissible.events)
    if (auto sig = request->staff_signatures.find(e.id);
        sig != request->staff_signatures.end() && !volunteer_of(e.author).empty() && !unchecked.count(e.id))
      admissible.staff_signatures.insert(*sig);
  PushReply reply;
  if (!admissible.events.empty()) {
    auto stored = st.push(admissible, now);
    if (!stored) return refused(503, stored.error().message);
    reply = std::move(*stored);
    std::map<std::string, std::string> keep;
    for (const auto& id : reply.acknowledged)
      if (auto sig = admissible.staff_signatures.find(id); sig != admissible.staff_signatures.end()) keep.insert(*sig);
    if (auto kept = st.keep_staff_signatures(keep); !kept) return refused(503, "push: " + kept.error().message);
  }
  ApiReply out;
  for (auto& f : elsewhere) {
    out.log.push_back("refused event: " + f.reason);
    reply.refused.push_back(std::move(f));
  }
  for (const auto& f : reply.refused)
    if (f.code != "other_shelter" && f.code != "other_device" && f.code != "unverified_volunteer")
      out.log.push_back("refused event (" + f.code + "): " + f.reason);
  reply.server_time_ms = now;
  out.body = encode(reply);
  out.future_events = static_cast<int>(reply.clamped.size());
  return out;
}

ApiReply serve_pull(ServerStore& st, const Principal& p, const std::string& shelter, std::int64_t after, int limit,
                    std::int64_t now, std::int64_t refused_after) {
  if (!is_valid_slug(shelter)) return refused(400, "pull: shelter must be a shelter id");
  if (p.kind != Principal::Kind::Kiosk || p.shelter_id != shelter)
    return refused(403, "pull: this token may read only shelter " + p.shelter_id);
  if (after < 0 || limit < 1 || limit > static_cast<int>(kMaxBatchEvents))
    return refused(400, "pull: after >= 0 and 1 <= limit <= " + std::to_string(kMaxBatchEvents));
  auto reply = st.pull(shelter, after, limit);
  if (!reply) return refused(503, reply.error().message);
  auto sigs = st.staff_signatures(reply->events);
  if (!sigs) return refused(503, "pull: " + sigs.error().message);
  reply->staff_signatures = std::move(*sigs);
  if (refused_after < 0) return refused(400, "pull: refused_after >= 0");
  if (auto told = hub_refusals_after(st, refused_after, *reply); !told)
    return refused(503, "pull: " + told.error().message);
  reply->server_time_ms = now;
  return json_reply(encode(*reply));
}

Result<PushReply> import_usb_at_server(ServerStore& st, const UsbExport& x, std::int64_t now) {
  Principal as_device;
  as_device.kind = Principal::Kind::Kiosk;
  as_device.device_id = x.device_id;
  as_device.shelter_id = x.shelter_id;
  // The volunteers' keys first, by the rules of POST /v1/volunteers (a
  // lead vouches, or the shelter's first lead), so that their staff events
  // can be checked; a key refused leaves its events refused, with why.
  std::vector<std::string> log;
  for (const auto& v : x.volunteers)
    (void)register_and_log(st, as_device, {v.name, v.role, v.public_key, v.vouched_by, v.vouch}, log);
  for (const auto& line : log) log_line("import: " + line);
  PushReply total;
  for (size_t i = 0; i < x.events.size(); i += kMaxBatchEvents) {
    PushRequest req{x.device_id,
                    {x.events.begin() + static_cast<std::ptrdiff_t>(i),
                     x.events.begin() + static_cast<std::ptrdiff_t>(std::min(x.events.size(), i + kMaxBatchEvents))},
                    {}};
    for (const auto& e : req.events)
      if (auto sig = x.staff_signatures.find(e.id); sig != x.staff_signatures.end()) req.staff_signatures.insert(*sig);
    const ApiReply reply = serve_push(st, as_device, encode(req), now);
    for (const auto& line : reply.log) log_line(line);
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

}  // namespace shelter::sync
