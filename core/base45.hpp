#pragma once
// Base45 (RFC 9285): bytes as text in the QR alphanumeric alphabet, so a QR
// code stores it at 5.5 bits per character instead of 8.
#include <optional>
#include <string>
#include <string_view>

namespace shelter::base45 {

std::string encode(std::string_view bytes);

// Incomplete: the text ends inside a group (a length of 3n+1, or a last
// 2-character group that cannot be a single byte): it was cut off.
enum class DecodeError { None, BadCharacter, Incomplete, BadValue };
struct Decoded {
  DecodeError error = DecodeError::None;
  std::string bytes;
};
Decoded decode(std::string_view text);

}  // namespace shelter::base45
