#pragma once
// A deterministic, in-process world for the merge rules (docs/protocol.md):
// kiosks (a real Store on a real SQLite file each, synced by the real
// Syncer), one municipal server (the real ServerStore on SQLite or
// PostgreSQL, reached through serve_enrol/serve_push/serve_pull, the
// routes without a socket), a simulated clock, and a network that drops
// requests and replies, duplicates and replays batches. The regression
// tests of the six sequences and the seeded simulation (merge_sim) use it.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/checkin.hpp"
#include "core/store.hpp"
#include "sync/daemon/syncer.hpp"
#include "sync/server/hub_relay.hpp"
#include "sync/server/server.hpp"

namespace shelter::sim {

// Real time in the world; every kiosk's wall clock is this plus its error.
struct WorldClock {
  std::int64_t now = 1'780'000'000'000;  // 2026-05-28, ms
};

struct NetFaults {
  double drop_request = 0;  // the request never arrives
  double drop_reply = 0;    // it is served, the reply is lost (the daemon was killed, the link broke)
  double duplicate = 0;     // it arrives twice
  double replay = 0;        // an old push of the same kiosk arrives again, late
};

class Server {
 public:
  // pg_url empty: a SQLite file in dir. Otherwise the PostgreSQL database's
  // tables are dropped first, so each run starts empty.
  static Result<std::unique_ptr<Server>> open(const std::string& dir, const std::string& pg_url, WorldClock& clock);
  // kill -9: the store object goes, and is opened again from what is stored.
  Status restart();
  Result<sync::WireReply> handle(const sync::WireRequest& r);
  sync::ServerStore& store() { return *store_; }
  // A hub holds no headquarters key: it passes sealed files on unopened.
  void forget_hq_secret() {
    hq_ = {};
    store_->set_hq_secret({});
  }
  // role "hub": a code for a shelter hub.
  Result<std::string> enrolment_code(const std::string& shelter, const std::string& device,
                                     const std::string& role = "");
  // Every push reply's acknowledged ids (what a kiosk was told is stored).
  std::set<std::string> acknowledged;

 private:
  Server(std::string path, std::string pg_url, WorldClock& clock)
      : path_(std::move(path)), pg_(std::move(pg_url)), clock_(clock) {}
  std::string path_, pg_;
  sealing::BoxKeyPair hq_;
  WorldClock& clock_;
  std::unique_ptr<sync::ServerStore> store_;
};

class Kiosk {
 public:
  Kiosk(std::string dir, std::string shelter, std::string device, WorldClock& clock, std::int64_t clock_error);
  Status open();
  void close() { store_.reset(); }
  Store& store() { return *store_; }
  const std::string& shelter() const { return shelter_; }
  const std::string& device() const { return device_; }
  const std::string& path() const { return path_; }
  std::int64_t wall() const { return clock_.now + clock_error; }
  // Trades a code for a token over the (fault-free) link; `hub`: the
  // server is the shelter's hub (the token and cursors kept for a hub).
  Status enrol(Server& server, bool hub = false);
  // One daemon round through the faulty network; the daemon object lives
  // only for the round (a killed daemon starts afresh).
  Result<sync::SyncReport> sync(Server& server, const NetFaults& faults, std::mt19937_64& rng, bool hub = false);

  std::int64_t clock_error = 0;  // this tablet's wall clock minus real time
  bool link_up = true;

 private:
  std::string dir_, shelter_, device_, path_;
  WorldClock& clock_;
  std::unique_ptr<Store> store_;
  // The kiosk's volunteers, who sign their staff events; the first is the lead.
  static constexpr const char* kTeam[] = {"sato", "sim", "ito", "mayor"};
  std::vector<StaffKey> team_;
  std::vector<std::string> sent_;  // earlier push bodies, for late replays
};

// A shelter hub (sync/server/hub_relay.hpp): a SQLite server in hub mode,
// enrolled at `city` with a hub code, whose relay reaches the city through
// the world's faulty network. Kiosks sync with server() as with the city.
class Hub {
 public:
  static Result<std::unique_ptr<Hub>> open(const std::string& dir, const std::string& shelter,
                                           const std::string& device, WorldClock& clock, Server& city);
  Server& server() { return *server_; }
  // One relay round; the relay object lives only for the round (a killed
  // hub starts afresh from what it stored).
  Result<sync::RelayReport> relay(const NetFaults& faults, std::mt19937_64& rng);
  bool link_up = true;  // the hub's line to the city
  bool up = true;       // the hub box runs (its kiosks reach it)

 private:
  Hub(WorldClock& clock, Server& city) : clock_(clock), city_(city) {}
  WorldClock& clock_;
  Server& city_;
  std::unique_ptr<Server> server_;
  sync::HubSettings settings_;
};

// What a kiosk recorded, by real time: the reference model's input.
struct Recorded {
  std::int64_t real_ms = 0;
  EventType type = EventType::Arrived;
  std::string shelter;
};

// Whereabouts by the rules: the shelter of the latest arrival (in real
// time) and the latest status recorded there.
std::pair<std::string, Presence> reference_whereabouts(const std::vector<Recorded>& actions);

// Events of every shelter's feed, pulled by a fresh auditor device per
// shelter: what the server holds, as any kiosk can learn it.
Result<std::map<std::string, Event>> server_log(Server& server, WorldClock& clock, const std::string& dir,
                                                const std::vector<std::string>& shelters);

}  // namespace shelter::sim
