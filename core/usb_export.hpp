#pragma once
// Sneakernet: events carried on a USB stick when no network ever comes back.
//
// Version 2 (written by every kiosk): a plaintext header line, then a
// sealed body that only headquarters opens (core/sealing.hpp):
//
//   {"shelter_checkin_export":2,"device","shelter","events":N,
//    "device_key":KEYID,"hq_key":KEYID}\n
//   crypto_box_seal(headquarters' public key,
//                   EVENT JSON lines + {"signature":HEX}\n)
//
// The Ed25519 signature is by the device's key, over kUsbSignContext, the
// header line (with its \n) and the event lines: the header cannot be
// swapped and no event added, removed or changed. The header carries ids
// only (no personal data). A lost stick reveals who exported how many
// events, nothing else.
//
// Version 1 (before): JSON lines, a header, the events and an unkeyed
// BLAKE2b-256 checksum line. Still read, for files made before the upgrade
// (`shelter-server import --unsigned`).
//
// Importing applies the events with the same merge as a network sync, so
// importing twice, or importing what was also synced, changes nothing.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "core/result.hpp"
#include "core/sealing.hpp"
#include "core/signing.hpp"

namespace shelter {

class Store;

inline constexpr int kUsbSealedVersion = 2;
inline constexpr char kUsbSignContext[] = "shelter-checkin usb export v2\n";
inline constexpr char kUsbVolunteersContext[] = "shelter-checkin usb export v2 volunteers\n";

// A volunteer's key the server has not registered yet (core/volunteers.hpp):
// carried on the stick so that headquarters can check their staff events.
struct UsbVolunteer {
  std::string name, role;  // role: "lead" or "volunteer"
  std::string public_key;  // raw 32 bytes
  std::string vouched_by;  // the lead's name, "" with an empty vouch
  std::string vouch;       // raw 64 bytes: the lead's signature of volunteer_statement, or ""
};

struct UsbExport {
  std::string device_id, shelter_id;
  std::vector<Event> events;
  // Version 2 only, in the signature line, signed by the device on their
  // own (older files have none): registered at the import as a sync would
  // (POST /v1/volunteers), before the events.
  std::vector<UsbVolunteer> volunteers;
  // Volunteers' signatures of staff events, by id (Store::staff_signatures):
  // version 2 only, in the signature line; each is checked by the server
  // against the volunteer's key, so the device signature need not cover them.
  std::map<std::string, std::string> staff_signatures;
};

// The plaintext first line of an export file, either version.
struct UsbHeader {
  int version = 0;
  std::string device_id, shelter_id;
  std::int64_t events = 0;
  std::string device_key_id, hq_key_id;  // version 2
  std::string line;                      // the line as written, with its \n
};
Result<UsbHeader> read_usb_header(std::string_view file);

// Version 1 (unsigned, an unkeyed checksum).
std::string format_usb_export(const UsbExport& x);
Result<UsbExport> parse_usb_export(std::string_view text);

// Version 2: signed by `device_key`, sealed to `hq_public_key` (32 bytes).
Result<std::string> seal_usb_export(const UsbExport& x, const signing::KeyPair& device_key,
                                    std::string_view hq_public_key);
// The public key (32 bytes) of the header's device key, or why the file is
// refused (unknown or revoked key, another device's key, another shelter).
using DeviceKeyLookup = std::function<Result<std::string>(const UsbHeader&)>;
// Opens a version 2 file with headquarters' key and checks its signature
// with the key `key_of` gives, then every event (validate()). Any failure
// refuses the whole file: nothing of it is returned.
Result<UsbExport> open_usb_export(std::string_view file, const sealing::BoxKeyPair& hq, const DeviceKeyLookup& key_of);

// What the city has not acknowledged from this kiosk (after the daemon's
// push cursor to the city): its own events and those it relays (imported
// from a file, pulled from its shelter's hub); or every event of the log
// when `all`.
Result<UsbExport> collect_unsynced(Store& store, bool all);
// Applies a parsed export; returns how many events were new.
Result<int> import_usb_export(Store& store, const UsbExport& x);

// The headquarters key this kiosk seals to (kind "hq" in its trusted keys,
// not revoked); nullopt before it has one.
Result<std::optional<signing::TrustedKey>> headquarters_key(Store& store);
// A kiosk's version 2 file of collect_unsynced(store, all), signed with the
// device key from the secrets file beside the store and sealed to
// headquarters' key; refused, with what to do, when the kiosk has no
// headquarters key yet. `events` is set to how many it holds.
Result<std::string> make_sealed_export(Store& store, bool all, size_t& events);

// Relay through another kiosk of the same shelter: a kiosk cannot open a
// sealed file, so `shelterctl import` queues it in a folder beside the
// database, "<db>.relay/", and the daemon uploads each (POST /v1/import) and
// deletes it once the server answered (a file refused whole is kept as
// "*.refused"). At most kMaxRelayBytes (the server's body limit) per file.
inline constexpr size_t kMaxRelayBytes = 8u << 20;
std::string relay_dir(const std::string& db_path);
// Checks the header (version 2, of this kiosk's shelter, size) and queues
// the file; the same file twice is queued once. Returns its path there.
Result<std::string> queue_for_relay(Store& store, std::string_view file);
// The same for any holder of a relay folder (a shelter hub's, which passes
// its kiosks' files on to the city): files of `shelter_id` only.
Result<std::string> queue_for_relay(const std::string& db_path, const std::string& shelter_id, std::string_view file);
// The queued files, oldest first.
std::vector<std::string> relay_queue(const std::string& db_path);

}  // namespace shelter
