// libFuzzer target for the sync wire format: any body a client could send.
// Invariants: decoding never crashes; an accepted push re-encodes to a body
// that decodes to the same request (nothing accepted that cannot be stored
// as given); every accepted event passed validate() and carries no clamp
// (only the server sets one). Events of other devices are accepted here:
// a kiosk relays imported events, and the server decides per event.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sync/protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace shelter;
  const std::string body(reinterpret_cast<const char*>(data), size);
  auto req = sync::decode_push_request(body);
  if (req) {
    for (const auto& e : req->events)
      if (!validate(e).ok() || e.clamp != 0) std::abort();
    auto again = sync::decode_push_request(sync::encode(*req));
    if (!again || again->device_id != req->device_id || again->events != req->events) std::abort();
  }
  (void)sync::decode_pull_reply(body);
  (void)sync::decode_push_reply(body);
  return 0;
}
