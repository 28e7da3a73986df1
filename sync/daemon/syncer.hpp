#pragma once
// The kiosk side of sync: pushes this device's events oldest first, pulls
// the shelter's feed, and keeps both cursors in the kiosk's own database
// (meta table), so that a killed daemon resumes exactly where it stopped.
// It runs as its own process: the kiosk never waits for the network.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/secrets.hpp"
#include "core/store.hpp"
#include "core/volunteers.hpp"

namespace shelter::sync {

// One request to the server and its reply, for a transport other than
// HTTP (the merge simulation in tests/sim calls the server in-process).
struct WireRequest {
  std::string method, path, body, token;
};
struct WireReply {
  int status = 0;
  std::string body;
};
using Transport = std::function<Result<WireReply>(const WireRequest&)>;

struct SyncOptions {
  std::string server = "http://127.0.0.1:8470";
  int batch = 500;
  int timeout_seconds = 20;
  // The city CA (PEM) a https:// server's certificate must chain to, given
  // at enrolment (sync/daemon/city_ca.hpp); empty: the system's CAs.
  std::string ca_file;
  // The shelter's hub (sync/server/hub_relay.hpp) rather than the city:
  // its own token (secrets' hub_token), its own cursors and state in meta.
  bool hub = false;
  Transport transport;                                  // empty: HTTP to `server`
  std::function<std::int64_t()> clock = system_millis;  // this device's wall clock
};

// A server address the daemon and shelterctl may use: https://, or plain
// http:// only to this machine (127.0.0.0/8, localhost, [::1]) unless
// `insecure` (--insecure): tokens, enrolment codes and evacuees' records
// must not cross a network, often open disaster Wi-Fi, readable by anyone.
Status check_server_url(const std::string& url, bool insecure);

struct SyncReport {
  int pushed = 0;                          // events acknowledged by the server
  int refused = 0;                         // own events refused for good, by the server or (through a hub) the city
  int pulled = 0;                          // new events from other devices
  std::int64_t backlog = 0;                // own and relayed events still unsent
  int relayed_files = 0;                   // sealed USB files of this shelter the server imported (POST /v1/import)
  std::vector<std::string> relay_refused;  // files the server refused whole: "<file>: why" (kept as *.refused)
};

class Syncer {
 public:
  Syncer(Store& store, SyncOptions options);
  ~Syncer();
  // One full round: push everything unsent, relay the sealed USB files
  // queued beside the database (core/usb_export.hpp), then pull until caught up
  // (also when the push failed: the kiosk still learns what others did),
  // then the keys every kiosk trusts (GET /v1/keys, kept in the store).
  // Progress is saved after every batch, so an error part-way loses nothing.
  Result<SyncReport> sync_once();
  // Trades a one-time code from the server's administrator for this
  // device's token, and gives the server the public half of the device's
  // signing key (made now if need be). Token and secret key are kept in the
  // secrets file beside the kiosk's database (core/secrets.hpp), never in it.
  // `lead`: the name and raw public key of the lead named at enrolment
  // (shelterctl enrol --lead), registered with the code; empty: none.
  Status enrol(const std::string& code, const std::pair<std::string, std::string>& lead = {});
  bool enrolled();
  // Own events not yet acknowledged by the server.
  Result<std::int64_t> backlog();
  // Writes "ok ..." / "error ..." where the kiosk's staff screen reads it
  // (meta sync_state, or hub_sync_state for a hub).
  void record_state(const Result<SyncReport>& result);
  // A hub's link to the city (GET /v1/hub/status): its "link" object
  // (state, last_relay, waiting) as JSON in meta hub_city_link for the
  // staff screen; "" when the server is no hub.
  Status note_hub_link();

 private:
  Result<int> push_batch(bool& more, int& refused);
  // Sends the volunteers' keys the server has not answered for yet
  // (core/volunteers.hpp) and keeps each answer.
  Status register_volunteers();
  Result<std::vector<Volunteer>> volunteers_for_hub();
  const std::string& token_of(const DeviceSecrets& s) const;
  Result<int> pull_batch(bool& more, int& refused);
  Status fetch_keys();
  Status relay_files(SyncReport& report);
  Result<WireReply> send(const std::string& method, const std::string& path, const std::string& body);
  void note_server_time(std::int64_t t0, std::int64_t t1, std::int64_t server_ms);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Store& store_;
  SyncOptions options_;
};

}  // namespace shelter::sync
