// shelter-discovery: finds the shelter hub on the LAN (find), or announces
// one (publish), through avahi-daemon. Staff run `find` to check that
// kiosks can see the hub; docs/operations.md, section 2b.
#include <CLI/CLI.hpp>
#include <csignal>
#include <ctime>
#include <iostream>

#include "sync/discovery/discovery.hpp"

namespace {

int find(const std::string& shelter, int timeout_ms) {
  auto hubs = shelter::sync::find_hubs(shelter, timeout_ms);
  if (!hubs) {
    std::cerr << "shelter-discovery: " << hubs.error().message << "\n";
    return 2;
  }
  for (const auto& hub : *hubs)
    std::cout << hub.url << " device=" << hub.hub_device << " ca=" << hub.ca_sha256 << " host=" << hub.host << "\n";
  if (hubs->empty()) {
    std::cerr << "shelter-discovery: no hub of shelter " << shelter << " answered\n";
    return 1;
  }
  return 0;
}

int publish(const shelter::sync::HubAnnouncement& announcement) {
  // Blocked before the Avahi thread starts, so that only sigtimedwait
  // below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto publisher = shelter::sync::HubPublisher::start(announcement);
  if (!publisher) {
    std::cerr << "shelter-discovery: " << publisher.error().message << "\n";
    return 2;
  }
  // Each change of state on its own line, for staff and for tests.
  std::string shown;
  const timespec tick{0, 200'000'000};
  for (;;) {
    if (std::string now = (*publisher)->state(); now != shown) {
      std::cout << now << std::endl;
      shown = now;
    }
    if (sigtimedwait(&stop_signals, nullptr, &tick) >= 0) break;
  }
  publisher->reset();  // withdraws the service before exiting
  std::cout << "stopped" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"shelter-discovery: finds the shelter hub on the LAN through avahi-daemon (DNS-SD/mDNS)"};
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  shelter-discovery find --shelter tama-01\n"
      "  shelter-discovery publish --shelter tama-01 --device hub-1 --port 8443 --ca-sha256 AB:CD:...\n"
      "Where multicast is blocked or avahi-daemon cannot run, kiosks are given the hub's address:\n"
      "  hub = \"https://ADDR:8443\" in sync.toml");
  std::string shelter;
  int timeout_ms = 3000;
  auto* find_cmd = app.add_subcommand("find", "Lists the hubs of a shelter (exit 0: found, 1: none, 2: error)");
  find_cmd->add_option("--shelter", shelter, "The shelter's id, e.g. tama-01")->required();
  find_cmd->add_option("--timeout-ms", timeout_ms, "Longest wait for answers")->check(CLI::Range(100, 600000));
  shelter::sync::HubAnnouncement announcement;
  auto* publish_cmd = app.add_subcommand("publish", "Announces a hub until SIGINT or SIGTERM");
  publish_cmd->add_option("--shelter", announcement.shelter_id, "Shelter id")->required();
  publish_cmd->add_option("--device", announcement.hub_device, "The hub's device id")->required();
  publish_cmd->add_option("--port", announcement.port, "The hub's HTTPS port")->check(CLI::Range(1, 65535));
  publish_cmd->add_option("--ca-sha256", announcement.ca_sha256, "SHA-256 fingerprint of the hub's CA")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*find_cmd) return find(shelter, timeout_ms);
  return publish(announcement);
}
