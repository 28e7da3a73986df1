#pragma once
// The sync wire format (docs/protocol.md): JSON bodies, gzip-compressed by
// the HTTP layer. Parsing is strict and bounded: a malformed or oversized
// body is an error that names what is wrong, and nothing is stored.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/result.hpp"
#include "core/signing.hpp"

namespace shelter::sync {

inline constexpr int kProtocolVersion = 1;
inline constexpr size_t kMaxBatchEvents = 2000;
inline constexpr size_t kMaxBodyBytes = 8u << 20;  // after decompression
// No body the protocol sends nests deeper than 5; a body of 8 MiB of '['
// would make the parser build 8 million nested arrays.
inline constexpr int kMaxJsonDepth = 32;

// 127.x.y.z, ::1 or localhost: a link that never leaves this machine, the
// one place plain HTTP is allowed without --insecure (docs/security.md).
bool is_loopback_host(std::string_view host);

// True when `body`'s arrays and objects nest no deeper than `max_depth`
// (brackets inside strings do not count). A cheap scan, before any parse.
bool json_depth_within(std::string_view body, int max_depth);

struct PushRequest {
  std::string device_id;
  std::vector<Event> events;
  // The volunteer's signature (raw bytes) of each staff event, by event id
  // (core/volunteer_keys.hpp): "sigs": {id: hex}.
  std::map<std::string, std::string> staff_signatures;
};

// An event the server will never store, and why (docs/protocol.md, "Push").
struct Refusal {
  std::string id;
  std::string code;  // "other_shelter", "conflict", "seq_taken", "not_this_shelter" (core/write_rules.hpp)
  std::string reason;
  std::int64_t expected_seq = 0;  // seq_taken: the device's next free seq on the server
};

struct PushReply {
  std::vector<std::string> acknowledged;             // ids now stored (new or already there), in request order
  std::vector<Refusal> refused;                      // the others, in request order
  std::vector<std::pair<std::string, Hlc>> clamped;  // stored events the merge stamps earlier (Event::clamp)
  int new_events = 0;
  std::int64_t server_time_ms = 0;
};

struct PullReply {
  std::vector<Event> events;
  // A shelter hub's only: events it acknowledged that the city then refused
  // (docs/protocol.md, "Shelter hubs"), after the request's refused_after;
  // the kiosk keeps each as if its own push had been refused.
  std::vector<Refusal> refused;
  // ... and the clamps the city set on events it had already served (a
  // clamp is set once, so a kiosk learns it only this way).
  std::vector<std::pair<std::string, Hlc>> clamped;
  std::int64_t refused_next = 0;                        // pass as refused_after next time
  std::map<std::string, std::string> staff_signatures;  // of its staff events, by id ("sigs", as in a push)
  std::int64_t next_cursor = 0;                         // pass as `after` next time
  bool more = false;
  std::int64_t server_time_ms = 0;
};

// GET /v1/keys: every enrolled device's public key and the city's card
// keys, revoked ones included (so a kiosk can say "revoked"), and
// headquarters' box keys (kind "hq", in "hq_keys" on the wire).
struct KeysReply {
  std::vector<signing::TrustedKey> keys;
  std::int64_t server_time_ms = 0;
};
inline constexpr size_t kMaxKeys = 100'000;

std::string encode(const KeysReply& r);
Result<KeysReply> decode_keys_reply(std::string_view body);

// POST /v1/volunteers: a kiosk registers its volunteers' public keys
// (core/volunteer_keys.hpp), each vouched for by a lead of its shelter.
struct VolunteerKey {
  std::string name, role;  // role: "lead" or "volunteer"
  std::string public_key;  // raw 32 bytes
  std::string vouched_by;  // the lead's name; "" with an empty vouch
  std::string vouch;       // raw 64 bytes: the lead's signature of volunteer_statement, or ""
};
struct VolunteersRequest {
  std::string device_id;
  std::vector<VolunteerKey> volunteers;
};
// Per key, in the request's order: registered, or refused and why.
struct VolunteerAnswer {
  std::string name;
  std::string public_key;  // raw
  bool registered = false;
  std::string reason;
};
inline constexpr size_t kMaxVolunteersPerRequest = 200;
std::string encode(const VolunteersRequest& r);
Result<VolunteersRequest> decode_volunteers_request(std::string_view body);
std::string encode(const std::vector<VolunteerAnswer>& answers);
Result<std::vector<VolunteerAnswer>> decode_volunteers_reply(std::string_view body);

std::string encode(const PushRequest& r);
std::string encode(const PushReply& r);
std::string encode(const PullReply& r);
Result<PushRequest> decode_push_request(std::string_view body);
Result<PushReply> decode_push_reply(std::string_view body);
Result<PullReply> decode_pull_reply(std::string_view body);

// {"error": "..."} bodies for 4xx/5xx replies.
std::string error_body(std::string_view message);
std::string error_message(std::string_view body);

}  // namespace shelter::sync
