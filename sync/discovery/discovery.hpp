#pragma once
// Finding the shelter hub on the shelter's LAN without typing addresses:
// DNS-SD over mDNS through avahi-daemon (docs/protocol.md, "Shelter hubs"). Discovery
// only yields candidates; the hub's identity is checked by TLS against the
// CA pinned at enrolment, so a box that advertises itself gains nothing.
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace shelter::sync {

inline constexpr const char* kHubServiceType = "_shelter-hub._tcp";

// What a hub advertises: instance "Shelter hub <shelter_id>", TXT v=1,
// shelter=<shelter_id>, device=<hub_device>, ca=<ca_sha256>.
struct HubAnnouncement {
  std::string shelter_id, hub_device;
  int port = 8443;
  std::string ca_sha256;  // SHA-256 of the hub's CA certificate, hex
};

// Checks what HubPublisher::start would refuse (lengths, port, characters).
Status check_announcement(const HubAnnouncement& announcement);

// Publishes the announcement through avahi-daemon until destroyed. Runs on
// its own thread (avahi_threaded_poll). After a name collision it takes
// Avahi's alternative name ("... #2"); when avahi-daemon or the system bus
// is absent or restarts, it waits and publishes again once it is back.
class HubPublisher {
 public:
  static Result<std::unique_ptr<HubPublisher>> start(const HubAnnouncement& announcement);
  ~HubPublisher();
  HubPublisher(const HubPublisher&) = delete;
  HubPublisher& operator=(const HubPublisher&) = delete;

  // "published as NAME", "waiting for avahi-daemon" (also while
  // registering) or "error: ...".
  std::string state() const;

  struct Impl;

 private:
  explicit HubPublisher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct FoundHub {
  std::string url;  // "https://ADDR:PORT", IPv6 in brackets (zone as %25IFNAME)
  std::string host, address;
  int port = 0;
  std::string shelter_id, hub_device, ca_sha256;
};

// Browses for hubs of `shelter_id` (TXT v=1 and shelter= must match) and
// resolves each, for at most timeout_ms; returns early once avahi-daemon
// has reported all it knows and every hub is resolved. IPv4 addresses come
// first. An error, naming the sync.toml fallback, when avahi-daemon cannot
// be reached or goes away; an empty list when no hub answered.
Result<std::vector<FoundHub>> find_hubs(const std::string& shelter_id, int timeout_ms);

}  // namespace shelter::sync
