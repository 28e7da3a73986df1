#pragma once
// A shelter hub (docs/protocol.md, "Shelter hubs"): shelter-server in hub
// mode on one box at the shelter. The shelter's kiosks sync with it exactly
// as with the city (same routes, same daemon), so they agree over the
// shelter's LAN with no line to the city. HubRelay is the hub's client of
// the city, with the hub's own device credential: it forwards its kiosks'
// events unchanged, brings the city's feed for the shelter back, and keeps
// the keys every kiosk trusts, whenever a link exists. The city ends with
// the events it would have had if every kiosk had synced with it directly:
// (device, seq) stays the key, so a kiosk that also syncs with the city
// (the hub down) doubles nothing.
//
// Only the SQLite backend holds a hub's log (ServerStore::with_local_store).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sync/daemon/syncer.hpp"
#include "sync/server/store.hpp"

namespace shelter::sync {

// What makes a server a hub, kept in its database's meta by `shelter-server
// hub-setup`; the city credential lives in the secrets file beside the
// database (core/secrets.hpp), never in it.
struct HubSettings {
  std::string shelter_id;  // the one shelter whose kiosks it serves
  std::string device_id;   // its own device id at the city, e.g. tama-01-hub
  std::string city;        // the city server's address (https://)
  std::string city_ca;     // the city CA file its certificate must chain to ("": the system's)
};
// The hub's settings, or nullopt when this server is not a hub.
Result<std::optional<HubSettings>> load_hub_settings(ServerStore& st);
Status save_hub_settings(ServerStore& st, const HubSettings& s);

// The hub's link to the city, for its kiosks' staff screens (GET
// /v1/hub/status) and its dashboard.
struct HubLinkState {
  std::string state;                          // "ok <time> ..." or "error <time>: ..." ("" before the first round)
  std::optional<std::int64_t> last_relay_ms;  // the last round that reached the city
  std::int64_t waiting = 0;                   // kiosks' events not yet at the city
};
Result<HubLinkState> hub_link_state(ServerStore& st);

// The city's refusals of events this hub had acknowledged, after position
// `after`, for its kiosks' pulls (nothing at a server that is not a hub).
// Also the clamps the city set on events the hub had served (code "clamp"
// in its table, the clamp in expected_seq).
Status hub_refusals_after(ServerStore& st, std::int64_t after, PullReply& reply);

struct HubRelayOptions {
  int batch = static_cast<int>(kMaxBatchEvents);
  int timeout_seconds = 20;
  Transport transport;  // empty: HTTPS to the settings' city
  std::function<std::int64_t()> clock = system_millis;
};

struct RelayReport {
  int pushed = 0;             // kiosks' events the city acknowledged
  int refused = 0;            // ... or refused for good (kept, left out of the fold, as at a kiosk)
  int pulled = 0;             // new events from the city's feed
  std::int64_t waiting = 0;   // still to relay
  int kiosks_registered = 0;  // kiosks enrolled here whose keys the city took this round
};

class HubRelay {
 public:
  HubRelay(ServerStore& hub, HubSettings settings, HubRelayOptions options = {});
  ~HubRelay();
  // Trades a one-time hub code from the city's administrator
  // (`shelter-server enrol-code --hub`) for the hub's city token.
  Status enrol(const std::string& code);
  // One round: report the hub's kiosks (their keys, their last contact),
  // relay volunteers' keys, push every kiosk event not yet at the city,
  // pull the city's feed for the shelter, then the keys and the shelter's
  // volunteer keys. Cursors are saved after every batch.
  Result<RelayReport> relay_once();
  // Keeps "ok ..." / "error ..." and the last relay time in the hub's meta.
  void record_state(const Result<RelayReport>& result);

 private:
  Result<WireReply> send(const std::string& method, const std::string& path, const std::string& body);
  // The city's clock against the hub's, from a reply the city stamped
  // between t0 and t1 (the hub's system clock): kept in meta and given to
  // the server (ServerStore::set_clock_offset_ms).
  void note_city_time(std::int64_t t0, std::int64_t t1, std::int64_t city_ms);
  Status report_kiosks(RelayReport& report);
  Status relay_volunteers();
  Result<int> push_batch(bool& more, int& refused);
  Result<int> pull_batch(bool& more);
  Status relay_files();
  Status adopt_keys();
  Status adopt_volunteers();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  ServerStore& hub_;
  HubSettings settings_;
  HubRelayOptions options_;
};

}  // namespace shelter::sync
