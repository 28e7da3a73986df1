#pragma once
// Sneakernet: events carried on a USB stick when no network ever comes back.
// The file is JSON lines: a header, the events, and a BLAKE2b-256 checksum of
// everything before it, so a damaged or truncated file is refused whole.
// Importing applies the events with the same merge as a network sync, so
// importing twice, or importing what was also synced, changes nothing.
#include <string>
#include <vector>

#include "core/event.hpp"
#include "core/result.hpp"

namespace shelter {

class Store;

struct UsbExport {
  std::string device_id, shelter_id;
  std::vector<Event> events;
};

std::string format_usb_export(const UsbExport& x);
Result<UsbExport> parse_usb_export(std::string_view text);

// Events of this device the server has not acknowledged (after the sync
// daemon's push cursor), or every event of the log when `all`.
Result<UsbExport> collect_unsynced(Store& store, bool all);
// Applies a parsed export; returns how many events were new.
Result<int> import_usb_export(Store& store, const UsbExport& x);

}  // namespace shelter
