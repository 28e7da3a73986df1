#include "sync/discovery/discovery.hpp"

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/simple-watch.h>
#include <avahi-common/thread-watch.h>
#include <avahi-common/timeval.h>
#include <net/if.h>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace shelter::sync {
namespace {

constexpr const char* kInstancePrefix = "Shelter hub ";
// Wait before trying again when the system bus is absent or a
// registration failed; avahi-client itself notices a daemon that appears.
constexpr int kRetryMillis = 5000;

std::string fallback_hint() {
  return "without mDNS, set hub = \"https://ADDR:8443\" in sync.toml (shelter-discovery find checks the network)";
}

// "ab:cd..." or "ABCD..." -> "AB:CD:..." as `openssl x509 -fingerprint
// -sha256` prints it, the form enrolment pins; empty if not 32 bytes.
std::string normalise_fingerprint(std::string_view text) {
  std::string hex;
  for (char c : text) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return {};
    hex += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (hex.size() != 64) return {};
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    if (i) out += ':';
    out += hex.substr(i, 2);
  }
  return out;
}

bool printable(const std::string& s) {
  return std::none_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

}  // namespace

Status check_announcement(const HubAnnouncement& a) {
  // A DNS-SD instance name is at most 63 bytes, the prefix included.
  if (a.shelter_id.empty() || a.shelter_id.size() > 63 - std::string_view(kInstancePrefix).size() ||
      !printable(a.shelter_id))
    return fail("shelter id must be 1-51 printable bytes");
  if (a.hub_device.empty() || a.hub_device.size() > 200 || !printable(a.hub_device))
    return fail("hub device must be 1-200 printable bytes");
  if (a.port < 1 || a.port > 65535) return fail("port must be 1-65535");
  if (normalise_fingerprint(a.ca_sha256).empty()) return fail("CA fingerprint must be a SHA-256 (64 hex digits)");
  return {};
}

// Everything below runs on the poll thread, or before it starts and after
// it stops; only `state` is read from other threads.
struct HubPublisher::Impl {
  HubAnnouncement announcement;
  AvahiThreadedPoll* poll = nullptr;
  AvahiClient* client = nullptr;
  AvahiEntryGroup* group = nullptr;
  AvahiTimeout* retry = nullptr;
  std::string name;  // the instance name, after collisions the alternative
  mutable std::mutex mutex;
  std::string state = "waiting for avahi-daemon";

  void set_state(std::string s) {
    std::lock_guard lock(mutex);
    state = std::move(s);
  }
  const AvahiPoll* api() const { return avahi_threaded_poll_get(poll); }
  void retry_later() {
    timeval tv;
    avahi_elapse_time(&tv, kRetryMillis, 0);
    if (retry)
      api()->timeout_update(retry, &tv);
    else
      retry = api()->timeout_new(api(), &tv, on_retry, this);
  }
  void take_alternative_name() {
    char* alternative = avahi_alternative_service_name(name.c_str());
    name = alternative;
    avahi_free(alternative);
  }

  void connect() {
    int error = 0;
    // NO_FAIL: a missing daemon is waited for, not an error.
    client = avahi_client_new(api(), AVAHI_CLIENT_NO_FAIL, on_client, this, &error);
    if (!client) {
      set_state(std::string("waiting for avahi-daemon (") + avahi_strerror(error) + ")");
      retry_later();
    }
  }

  void register_service() {
    if (!group && !(group = avahi_entry_group_new(client, on_group, this))) {
      set_state(std::string("error: ") + avahi_strerror(avahi_client_errno(client)));
      retry_later();
      return;
    }
    if (!avahi_entry_group_is_empty(group)) return;
    const std::string txt_v = "v=1", txt_shelter = "shelter=" + announcement.shelter_id,
                      txt_device = "device=" + announcement.hub_device,
                      txt_ca = "ca=" + normalise_fingerprint(announcement.ca_sha256);
    AvahiStringList* txt = avahi_string_list_new(txt_v.c_str(), txt_shelter.c_str(), txt_device.c_str(), txt_ca.c_str(),
                                                 static_cast<const char*>(nullptr));
    int ret = 0;
    // A collision with a service of this same daemon is reported here at
    // once; one with another host comes later through on_group.
    for (int attempt = 0; attempt < 100; ++attempt) {
      ret = avahi_entry_group_add_service_strlst(group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, AvahiPublishFlags(0),
                                                 name.c_str(), kHubServiceType, nullptr, nullptr,
                                                 static_cast<uint16_t>(announcement.port), txt);
      if (ret != AVAHI_ERR_COLLISION) break;
      take_alternative_name();
    }
    avahi_string_list_free(txt);
    if (ret >= 0) ret = avahi_entry_group_commit(group);
    if (ret < 0) {
      set_state(std::string("error: ") + avahi_strerror(ret));
      avahi_entry_group_reset(group);
      retry_later();
    }
  }

  static void on_retry(AvahiTimeout*, void* userdata) {
    auto* self = static_cast<Impl*>(userdata);
    if (!self->client)
      self->connect();
    else if (avahi_client_get_state(self->client) == AVAHI_CLIENT_S_RUNNING)
      self->register_service();
  }

  static void on_client(AvahiClient* client, AvahiClientState state, void* userdata) {
    auto* self = static_cast<Impl*>(userdata);
    self->client = client;  // called from inside avahi_client_new too
    switch (state) {
      case AVAHI_CLIENT_S_RUNNING:
        self->register_service();
        break;
      case AVAHI_CLIENT_S_COLLISION:
      case AVAHI_CLIENT_S_REGISTERING:
        // The daemon's host name changes; ours are published again at S_RUNNING.
        if (self->group) avahi_entry_group_reset(self->group);
        self->set_state("waiting for avahi-daemon");
        break;
      case AVAHI_CLIENT_CONNECTING:
        self->set_state("waiting for avahi-daemon");
        break;
      case AVAHI_CLIENT_FAILURE: {
        const int error = avahi_client_errno(client);
        // The daemon or the bus went away (restart, upgrade): start over
        // with a new client, which waits for the daemon to come back.
        avahi_client_free(client);
        self->client = nullptr;
        self->group = nullptr;  // freed with its client
        if (error == AVAHI_ERR_DISCONNECTED) {
          self->set_state("waiting for avahi-daemon");
          self->connect();
        } else {
          self->set_state(std::string("error: ") + avahi_strerror(error));
          self->retry_later();
        }
        break;
      }
    }
  }

  static void on_group(AvahiEntryGroup* group, AvahiEntryGroupState state, void* userdata) {
    auto* self = static_cast<Impl*>(userdata);
    self->group = group;
    switch (state) {
      case AVAHI_ENTRY_GROUP_ESTABLISHED:
        self->set_state("published as " + self->name);
        break;
      case AVAHI_ENTRY_GROUP_COLLISION:
        // Another host holds the name: "Shelter hub X #2" and so on.
        self->take_alternative_name();
        avahi_entry_group_reset(group);
        self->register_service();
        break;
      case AVAHI_ENTRY_GROUP_FAILURE:
        self->set_state(std::string("error: ") +
                        avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(group))));
        avahi_entry_group_reset(group);
        self->retry_later();
        break;
      case AVAHI_ENTRY_GROUP_UNCOMMITED:
      case AVAHI_ENTRY_GROUP_REGISTERING:
        break;
    }
  }
};

HubPublisher::HubPublisher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HubPublisher>> HubPublisher::start(const HubAnnouncement& announcement) {
  if (auto st = check_announcement(announcement); !st) return st.error().context("hub announcement");
  auto impl = std::make_unique<Impl>();
  impl->announcement = announcement;
  impl->name = kInstancePrefix + announcement.shelter_id;
  if (!(impl->poll = avahi_threaded_poll_new())) return fail("avahi: cannot create its event loop");
  std::unique_ptr<HubPublisher> publisher(new HubPublisher(std::move(impl)));
  // The poll thread is not running yet, so no lock is needed here.
  publisher->impl_->connect();
  if (avahi_threaded_poll_start(publisher->impl_->poll) < 0) return fail("avahi: cannot start its thread");
  return publisher;
}

HubPublisher::~HubPublisher() {
  if (!impl_->poll) return;
  avahi_threaded_poll_stop(impl_->poll);
  // Freeing the client closes its bus connection; avahi-daemon then
  // withdraws the service (goodbye packets).
  if (impl_->client) avahi_client_free(impl_->client);
  if (impl_->retry) impl_->api()->timeout_free(impl_->retry);
  avahi_threaded_poll_free(impl_->poll);
}

std::string HubPublisher::state() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->state;
}

namespace {

struct Browse {
  std::string shelter_id;
  AvahiSimplePoll* poll = nullptr;
  int resolving = 0;
  bool all_for_now = false;
  std::string error;
  std::vector<FoundHub> hubs;

  void finish_if_done() {
    if (all_for_now && resolving == 0) avahi_simple_poll_quit(poll);
  }
};

bool link_local_ipv6(const AvahiAddress& a) {
  return a.proto == AVAHI_PROTO_INET6 && a.data.ipv6.address[0] == 0xfe && (a.data.ipv6.address[1] & 0xc0) == 0x80;
}

void on_resolved(AvahiServiceResolver* resolver, AvahiIfIndex interface, AvahiProtocol, AvahiResolverEvent event,
                 const char*, const char*, const char*, const char* host, const AvahiAddress* address, uint16_t port,
                 AvahiStringList* txt, AvahiLookupResultFlags, void* userdata) {
  auto* browse = static_cast<Browse*>(userdata);
  if (event == AVAHI_RESOLVER_FOUND && address) {
    FoundHub hub;
    std::string version;
    for (AvahiStringList* item = txt; item; item = avahi_string_list_get_next(item)) {
      char *key = nullptr, *value = nullptr;
      if (avahi_string_list_get_pair(item, &key, &value, nullptr) < 0) continue;
      const std::string k = key, v = value ? value : "";
      if (k == "v") version = v;
      if (k == "shelter") hub.shelter_id = v;
      if (k == "device") hub.hub_device = v;
      if (k == "ca") hub.ca_sha256 = v;
      avahi_free(key);
      avahi_free(value);
    }
    char text[AVAHI_ADDRESS_STR_MAX];
    avahi_address_snprint(text, sizeof text, address);
    hub.address = text;
    if (link_local_ipv6(*address)) {
      char ifname[IF_NAMESIZE];
      if (if_indextoname(static_cast<unsigned>(interface), ifname)) hub.address += std::string("%") + ifname;
    }
    hub.host = host ? host : "";
    hub.port = port;
    if (address->proto == AVAHI_PROTO_INET6) {
      std::string in_url = hub.address;
      if (auto pct = in_url.find('%'); pct != std::string::npos) in_url.replace(pct, 1, "%25");
      hub.url = "https://[" + in_url + "]:" + std::to_string(port);
    } else {
      hub.url = "https://" + hub.address + ":" + std::to_string(port);
    }
    const bool duplicate =
        std::any_of(browse->hubs.begin(), browse->hubs.end(), [&](const FoundHub& h) { return h.url == hub.url; });
    if (version == "1" && hub.shelter_id == browse->shelter_id && !duplicate) browse->hubs.push_back(std::move(hub));
  }
  avahi_service_resolver_free(resolver);
  --browse->resolving;
  browse->finish_if_done();
}

void on_browse(AvahiServiceBrowser* browser, AvahiIfIndex interface, AvahiProtocol protocol, AvahiBrowserEvent event,
               const char* name, const char* type, const char* domain, AvahiLookupResultFlags, void* userdata) {
  auto* browse = static_cast<Browse*>(userdata);
  AvahiClient* client = avahi_service_browser_get_client(browser);
  switch (event) {
    case AVAHI_BROWSER_NEW:
      // The address family follows the one the service was seen on, so a
      // hub seen over IPv4 resolves to its IPv4 address.
      if (avahi_service_resolver_new(client, interface, protocol, name, type, domain, protocol, AvahiLookupFlags(0),
                                     on_resolved, browse))
        ++browse->resolving;
      break;
    case AVAHI_BROWSER_ALL_FOR_NOW:
      browse->all_for_now = true;
      browse->finish_if_done();
      break;
    case AVAHI_BROWSER_FAILURE:
      browse->error = std::string("browsing failed: ") + avahi_strerror(avahi_client_errno(client));
      avahi_simple_poll_quit(browse->poll);
      break;
    case AVAHI_BROWSER_REMOVE:
    case AVAHI_BROWSER_CACHE_EXHAUSTED:
      break;
  }
}

void on_find_client(AvahiClient* client, AvahiClientState state, void* userdata) {
  auto* browse = static_cast<Browse*>(userdata);
  if (state == AVAHI_CLIENT_FAILURE) {
    browse->error = std::string("avahi-daemon went away: ") + avahi_strerror(avahi_client_errno(client));
    avahi_simple_poll_quit(browse->poll);
  }
}

void on_deadline(AvahiTimeout*, void* userdata) {
  avahi_simple_poll_quit(static_cast<Browse*>(userdata)->poll);
}

}  // namespace

Result<std::vector<FoundHub>> find_hubs(const std::string& shelter_id, int timeout_ms) {
  Browse browse;
  browse.shelter_id = shelter_id;
  if (!(browse.poll = avahi_simple_poll_new())) return fail("find hubs: avahi: cannot create its event loop");
  const AvahiPoll* api = avahi_simple_poll_get(browse.poll);
  int error = 0;
  AvahiClient* client = avahi_client_new(api, AvahiClientFlags(0), on_find_client, &browse, &error);
  if (!client) {
    avahi_simple_poll_free(browse.poll);
    return fail(std::string("find hubs: avahi-daemon cannot be reached (") + avahi_strerror(error) + "); " +
                fallback_hint());
  }
  if (!avahi_service_browser_new(client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, kHubServiceType, nullptr,
                                 AvahiLookupFlags(0), on_browse, &browse))
    browse.error = std::string("cannot browse: ") + avahi_strerror(avahi_client_errno(client));
  if (browse.error.empty()) {
    timeval deadline;
    avahi_elapse_time(&deadline, std::max(timeout_ms, 0), 0);
    api->timeout_new(api, &deadline, on_deadline, &browse);
    avahi_simple_poll_loop(browse.poll);
  }
  // Frees the browser and resolvers too; the poll frees the deadline.
  avahi_client_free(client);
  avahi_simple_poll_free(browse.poll);
  if (!browse.error.empty()) return fail("find hubs: " + browse.error + "; " + fallback_hint());
  // IPv4 first: a link-local IPv6 address needs its zone, which not every
  // client handles.
  std::stable_sort(browse.hubs.begin(), browse.hubs.end(), [](const FoundHub& a, const FoundHub& b) {
    const bool a6 = a.url.find('[') != std::string::npos, b6 = b.url.find('[') != std::string::npos;
    if (a6 != b6) return !a6;
    return a.url < b.url;
  });
  return browse.hubs;
}

}  // namespace shelter::sync
