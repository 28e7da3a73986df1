#pragma once
// shelter-server's hub role (hub_relay.hpp): `hub-setup`, and the relay
// loop beside the HTTP server while it runs.
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "sync/server/hub_relay.hpp"

namespace shelter::sync {

struct HubSetupArgs {
  std::string shelter_id, device_id, city, city_ca, city_ca_sha256, code;
  bool insecure = false;
};
// Makes this server's database a hub's (settings in its meta) and, with a
// code, enrols it with the city now. Run again with a code once the city is
// reachable. Prints what it did; returns the process's exit status.
int hub_setup(ServerStore& st, const std::string& db_path, const HubSetupArgs& args);

// Relays every `interval_seconds` while all is well; after a failure waits
// with back-off and jitter (1 s doubling to 60 s), as a kiosk's daemon does.
// Only this loop logs the relay's errors.
class HubRelayLoop {
 public:
  HubRelayLoop(ServerStore& st, HubSettings settings, int interval_seconds);
  ~HubRelayLoop();  // stops and joins
  void stop();

 private:
  void run();
  HubRelay relay_;
  int interval_seconds_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace shelter::sync
