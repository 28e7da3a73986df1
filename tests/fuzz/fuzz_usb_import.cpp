// libFuzzer target for the USB export file as headquarters opens it
// (core/usb_export.hpp): any bytes on a stick. The keys are fixed
// (usb_fuzz_keys.hpp), so the seed corpus holds real files sealed to them.
// A fuzzer cannot forge a sealed box, so each input is read three ways:
//   1. as the file: the header, open_usb_export (version 2), and
//      parse_usb_export (version 1);
//   2. its first line as the header and the rest as what the seal holds
//      (event lines and a signature line), sealed here: mutations reach the
//      signature line and its check;
//   3. its first line as the header and the rest as the event lines, signed
//      with the device key and sealed here: mutations reach the events.
// Invariants: nothing crashes; a header read is one of the two versions
// with its line as the file starts; an opened file has its header's ids and
// count; whole event lines signed here never fail the signature check
// (signer and checker cover the same bytes); what opens, or parses as
// version 1, is written again to a file that gives the same events.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/usb_export.hpp"
#include "tests/fuzz/usb_fuzz_keys.hpp"

namespace {

using namespace shelter;

Result<std::string> device_key_of(const UsbHeader& h) {
  const signing::KeyPair& dev = fuzz::usb_device_key();
  if (h.device_key_id != dev.key_id()) return fail("unknown device key " + h.device_key_id);
  return dev.public_key;
}

Result<UsbExport> open_file(const std::string& file) {
  return open_usb_export(file, fuzz::usb_hq_key(), device_key_of);
}

void check_opened(const UsbHeader& h, const UsbExport& x) {
  if (x.device_id != h.device_id || x.shelter_id != h.shelter_id) std::abort();
  if (static_cast<std::int64_t>(x.events.size()) != h.events) std::abort();
  if (h.device_key_id != fuzz::usb_device_key().key_id()) std::abort();
  for (const auto& e : x.events)
    if (!validate(e).ok()) std::abort();
  auto again = seal_usb_export(x, fuzz::usb_device_key(), fuzz::usb_hq_key().public_key);
  if (!again) std::abort();
  auto back = open_file(*again);
  if (!back || back->events != x.events || back->device_id != x.device_id || back->shelter_id != x.shelter_id)
    std::abort();
}

void as_file(const std::string& file, const Result<UsbHeader>& h) {
  auto x = open_file(file);
  if (x) check_opened(*h, *x);
  auto v1 = parse_usb_export(file);
  if (v1) {
    if (!h || h->version != 1) std::abort();
    auto back = parse_usb_export(format_usb_export(*v1));
    if (!back || back->events != v1->events || back->device_id != v1->device_id) std::abort();
  }
}

// Ways 2 and 3: the rest of the input sealed (and signed) here.
void as_contents(const std::string& input, const UsbHeader& h) {
  const std::string rest = input.substr(h.line.size());
  auto inner = sealing::seal(fuzz::usb_hq_key().public_key, rest);
  if (!inner) std::abort();
  auto x = open_file(h.line + *inner);
  if (x) check_opened(h, *x);

  const std::string signature = signing::sign(fuzz::usb_device_key(), kUsbSignContext + h.line + rest);
  const std::string signed_rest = rest + "{\"signature\":\"" + signing::to_hex(signature) + "\"}\n";
  auto sealed = sealing::seal(fuzz::usb_hq_key().public_key, signed_rest);
  if (!sealed) std::abort();
  auto y = open_file(h.line + *sealed);
  if (y) {
    check_opened(h, *y);
  } else if (h.device_key_id == fuzz::usb_device_key().key_id() && (rest.empty() || rest.back() == '\n') &&
             y.error().message.rfind("export file: the signature does not match", 0) == 0) {
    // Event lines that end in a newline are exactly what was signed (a last
    // line without one would join the signature line). The message's start
    // only: an error about an event quotes its text, which may say anything.
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  auto h = read_usb_header(input);
  if (h) {
    if (h->version != 1 && h->version != kUsbSealedVersion) std::abort();
    if (h->line.empty() || h->line.back() != '\n' || input.compare(0, h->line.size(), h->line) != 0) std::abort();
    if (h->events < 0) std::abort();
  }
  as_file(input, h);
  // Only a version 2 header to this key gets as far as the seal.
  if (h && h->version == kUsbSealedVersion && h->hq_key_id == fuzz::usb_hq_key().key_id()) as_contents(input, *h);
  return 0;
}
