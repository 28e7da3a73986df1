#pragma once
// What the QR codes say. Two versioned formats, specified in
// docs/qr-format.md:
//  - a household card, printed ahead by neighbourhood groups: ids, names,
//    readings, birth dates, needs, consent, address and phone;
//  - a pass, printed by a kiosk at check-in: ids only.
// The text is "SC:" + Base45 of a compact binary record, so QR codes use
// alphanumeric mode. parse() never crashes and never accepts garbage: every
// kind of bad input gets its own error.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.hpp"
#include "core/result.hpp"

namespace shelter::qr {

inline constexpr std::string_view kPrefix = "SC:";
inline constexpr int kVersion = 1;
inline constexpr int kMaxMembers = 15;
// No valid payload is longer; a longer text is rejected before decoding.
inline constexpr size_t kMaxTextChars = 2400;

struct CardMember {
  PersonId person_id;
  PersonInfo info;  // address and phone come from the card, not the member
};

struct HouseholdCard {
  HouseholdId household_id;
  std::string address;
  std::string phone;
  std::vector<CardMember> members;
  bool operator==(const HouseholdCard& o) const;
};

struct Pass {
  PersonId person_id;
  HouseholdId household_id;
  std::string shelter_id;
  BirthDate issued;  // the day it was printed (a full date)
  bool operator==(const Pass&) const = default;
};

enum class ParseError {
  None,
  NotShelterCode,      // a URL, plain text, another system's code
  BadEncoding,         // not Base45
  Oversized,           // longer than any valid code
  Truncated,           // the record ends early
  UnsupportedVersion,  // made by a newer (or unknown) version
  UnknownKind,         // neither card nor pass
  BadChecksum,         // damaged or altered
  InvalidUtf8,         // a text field is not UTF-8
  InvalidField,        // a value out of range (date, member count, ...)
  TrailingData,        // bytes after the record
};
// A short sentence for a person at a kiosk or a terminal.
std::string_view describe(ParseError e);
std::string_view error_name(ParseError e);  // "truncated", ... for logs and tests

struct Parsed {
  ParseError error = ParseError::None;
  std::string detail;  // which field, for InvalidField / InvalidUtf8
  std::optional<HouseholdCard> card;
  std::optional<Pass> pass;
  bool ok() const { return error == ParseError::None; }
};

// `pass_key`: when not empty (16..64 bytes), passes carry a keyed BLAKE2b MAC
// instead of a plain checksum, so only kiosks holding the key can issue them.
Parsed parse(std::string_view text, std::string_view pass_key = {});

Result<std::string> encode_card(const HouseholdCard& card);
Result<std::string> encode_pass(const Pass& pass, std::string_view pass_key = {});

// The binary record inside the text (for size figures and tests).
size_t record_bytes(std::string_view text);

}  // namespace shelter::qr
