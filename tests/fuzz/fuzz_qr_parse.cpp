// libFuzzer target for the QR payload parser: any bytes a camera could read.
// Invariants: parse never crashes; whatever it accepts re-encodes to a text
// that parses to the same value (so it accepted nothing it cannot represent).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/base45.hpp"
#include "core/qr_payload.hpp"

namespace {
void check(const std::string& text) {
  using namespace shelter;
  const std::string key(32, 'k');
  for (std::string_view k : {std::string_view{}, std::string_view(key)}) {
    auto p = qr::parse(text, k);
    if (!p.ok()) {
      if (p.card || p.pass) std::abort();
      continue;
    }
    if (p.card.has_value() == p.pass.has_value()) std::abort();
    if (p.card) {
      auto again = qr::encode_card(*p.card);
      if (!again.ok() || *again != text) std::abort();
      auto back = qr::parse(*again);
      if (!back.card || !(*back.card == *p.card)) std::abort();
    } else {
      auto again = qr::encode_pass(*p.pass, k);
      if (!again.ok() || *again != text) std::abort();
    }
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
