#include "sync/server/hub_service.hpp"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <random>

#include "core/fs_util.hpp"
#include "sync/daemon/city_ca.hpp"
#include "sync/server/routes.hpp"

namespace shelter::sync {

int hub_setup(ServerStore& st, const std::string& db_path, const HubSetupArgs& a) {
  auto say = [](const std::string& what) {
    std::cerr << "shelter-server: hub-setup: " << what << "\n";
    return 1;
  };
  if (!a.city.empty())
    if (auto ok = check_server_url(a.city, a.insecure); !ok) return say("--city: " + ok.error().message);
  auto old = load_hub_settings(st);
  if (!old) return say(old.error().message);
  HubSettings s = old->value_or(HubSettings{});
  if (!a.shelter_id.empty()) s.shelter_id = a.shelter_id;
  if (!a.device_id.empty()) s.device_id = a.device_id;
  if (!a.city.empty()) s.city = a.city;
  if (s.shelter_id.empty() || s.device_id.empty()) return say("give --shelter and --device (the hub's id at the city)");
  // The city CA: given as a file, or fetched and checked against its
  // pinned fingerprint, as a kiosk's enrolment does; kept beside the database.
  std::string pem;
  if (!a.city_ca.empty()) {
    auto bytes = read_file_bytes(a.city_ca, 1u << 20);
    if (!bytes) return say("--city-ca: " + bytes.error().message);
    if (auto fp = certificate_fingerprint(*bytes); !fp) return say("--city-ca: " + fp.error().message);
    pem = std::move(*bytes);
  } else if (!a.city_ca_sha256.empty()) {
    if (s.city.empty()) return say("--city-ca-sha256 needs --city");
    auto bytes = fetch_city_ca(s.city, a.city_ca_sha256, 20);
    if (!bytes) return say("--city-ca-sha256: " + bytes.error().message);
    pem = std::move(*bytes);
  }
  if (!pem.empty()) {
    s.city_ca = (std::filesystem::absolute(db_path).parent_path() / "city-ca.pem").lexically_normal().string();
    if (auto ok = write_file_atomic(s.city_ca, pem, 0644); !ok) return say("city CA: " + ok.error().message);
  }
  if (auto ok = save_hub_settings(st, s); !ok) return say(ok.error().message);
  std::cout << "This server is the hub of shelter " << s.shelter_id << " (device " << s.device_id << " at the city"
            << (s.city.empty() ? ", no city address yet" : " " + s.city) << ").\n";
  if (a.code.empty()) {
    std::cout << "Enrol its kiosks with codes from `shelter-server enrol-code --shelter " << s.shelter_id
              << " --device ID` on this machine. Once the city is reachable, run hub-setup --code CODE with a hub "
                 "code from the city (shelter-server enrol-code --hub there).\n";
    return 0;
  }
  HubRelay relay(st, s);
  if (auto ok = relay.enrol(a.code); !ok) return say(ok.error().message);
  std::cout << "Enrolled with the city: the hub relays its kiosks' events there whenever the link is up.\n";
  return 0;
}

HubRelayLoop::HubRelayLoop(ServerStore& st, HubSettings settings, int interval_seconds)
    : relay_(st, std::move(settings)), interval_seconds_(interval_seconds), thread_([this] { run(); }) {}

HubRelayLoop::~HubRelayLoop() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void HubRelayLoop::stop() {
  stop_ = true;
}

void HubRelayLoop::run() {
  std::mt19937 rng(std::random_device{}());
  double backoff = 1;
  std::string last_error;
  while (!stop_) {
    auto r = relay_.relay_once();
    relay_.record_state(r);
    double wait = interval_seconds_;
    if (r) {
      if (r->pushed || r->pulled || r->refused || !last_error.empty())
        log_line("hub: relayed " + std::to_string(r->pushed) + ", received " + std::to_string(r->pulled) +
                 (r->refused ? ", refused by the city " + std::to_string(r->refused) : std::string()));
      last_error.clear();
      backoff = 1;
    } else {
      if (r.error().message != last_error) log_line("hub: " + r.error().message);  // once per new error
      last_error = r.error().message;
      wait = std::uniform_real_distribution<double>(backoff / 2, backoff)(rng);
      backoff = std::min<double>(backoff * 2, 60);
    }
    for (auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int>(wait * 1000));
         !stop_ && std::chrono::steady_clock::now() < until;)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace shelter::sync
