// USB exports at headquarters: a sealed file opened with headquarters' key
// and checked against the device keys the server enrolled (routes.hpp).
#include "sync/server/routes.hpp"

namespace shelter::sync {

Result<UsbExport> open_sealed_export(const sealing::BoxKeyPair& hq, const std::vector<signing::TrustedKey>& keys,
                                     std::string_view file) {
  if (hq.empty()) return fail("no headquarters key file to open it with (--hq-key)");
  return open_usb_export(file, hq, [&](const UsbHeader& h) -> Result<std::string> {
    const signing::TrustedKey* k = nullptr;
    for (const auto& one : keys)
      if (one.kind == "device" && one.key_id == h.device_key_id) k = &one;
    if (!k)
      return fail("device key " + h.device_key_id + " is not known to this server (device " + h.device_id +
                  " was not enrolled with it)");
    if (k->device_id != h.device_id)
      return fail("device key " + h.device_key_id + " belongs to device " + k->device_id + ", not to " + h.device_id);
    if (k->revoked)
      return fail("device key " + h.device_key_id + " of device " + h.device_id +
                  " is revoked (a lost or replaced tablet): the file is refused");
    if (k->shelter_id != h.shelter_id)
      return fail("device " + h.device_id + " is enrolled at shelter " + k->shelter_id + ", the file says " +
                  h.shelter_id);
    return k->public_key;
  });
}

}  // namespace shelter::sync
