// libFuzzer target for the kiosk's TOML configuration loader: any file an
// operator could write. Invariants: never crashes; a config it accepts has
// values inside the ranges the kiosk relies on.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kiosk/app/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace shelter::kiosk;
  auto c = parse_config(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.toml");
  if (c && (c->pin_tries < 1 || c->camera_width <= 0 || c->camera_height <= 0 || c->idle_seconds <= 0)) std::abort();
  return 0;
}
