// libFuzzer target for the QR payload parser: any bytes a camera could read.
// Invariants: parse never crashes; whatever it accepts re-encodes (with the
// signature it carries) to a text that parses to the same value, so it
// accepted nothing it cannot represent; verification never crashes either.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/base45.hpp"
#include "core/qr_payload.hpp"

namespace {
void check(const std::string& text) {
  using namespace shelter;
  static const signing::KeyPair key = signing::generate();
  static const signing::KeyRing ring({{"device", key.key_id(), "d", "s", key.public_key, false},
                                      {"card", key.key_id(), "", "", key.public_key, false}});
  auto p = qr::parse(text);
  if (!p.ok()) {
    if (p.card || p.pass || p.signature) std::abort();
    return;
  }
  if (p.card.has_value() == p.pass.has_value()) std::abort();
  if (p.version != 1 && p.version != qr::kVersion) std::abort();
  if (p.pass && p.version != qr::kVersion) std::abort();  // version 1 passes are refused
  // A forged signature never verifies under a key the fuzzer cannot know.
  if (p.signature && qr::verify(p, ring) == signing::Verdict::Valid) std::abort();
  qr::Signer same;
  if (p.signature) {
    const qr::Signature sig = *p.signature;
    same = qr::Signer{sig.key_id, [sig](std::string_view) { return sig.bytes; }};
  }
  if (p.card) {
    auto again = qr::encode_card(*p.card, same);
    if (!again.ok()) std::abort();
    if (p.version == qr::kVersion && *again != text) std::abort();
    auto back = qr::parse(*again);
    if (!back.card || !(*back.card == *p.card) || back.signature != p.signature) std::abort();
  } else {
    auto again = qr::encode_pass(*p.pass, same);
    if (!again.ok() || *again != text) std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string raw(reinterpret_cast<const char*>(data), size);
  check(raw);  // the text as read from a QR code
  // The same bytes as a record, so mutations reach the binary parser.
  check(std::string(shelter::qr::kPrefix) + shelter::base45::encode(raw));
  return 0;
}
