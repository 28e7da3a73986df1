#pragma once
// What the QR codes say. Two versioned formats, specified in
// docs/qr-format.md:
//  - a household card, printed ahead by neighbourhood groups: ids, names,
//    readings, birth dates, needs, consent, address and phone;
//  - a pass, printed by a kiosk at check-in: ids only.
// The text is "SC:" + Base45 of a compact binary record, so QR codes use
// alphanumeric mode. parse() never crashes and never accepts garbage: every
// kind of bad input gets its own error.
// Version 2 adds an Ed25519 signature: a pass always carries its kiosk's, a
// card the city's when the office that printed it holds the card key.
// parse() only reads it; verify() checks it against the keys a kiosk trusts.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.hpp"
#include "core/result.hpp"
#include "core/signing.hpp"

namespace shelter::qr {

inline constexpr std::string_view kPrefix = "SC:";
inline constexpr int kVersion = 2;
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
  OutdatedPass,        // a version 1 pass: unsigned, no longer accepted
  UnknownKind,         // neither card nor pass
  BadChecksum,         // damaged or altered
  InvalidUtf8,         // a text field is not UTF-8
  InvalidField,        // a value out of range (date, member count, ...)
  TrailingData,        // bytes after the record
};
// A short sentence for a person at a kiosk or a terminal.
std::string_view describe(ParseError e);
std::string_view error_name(ParseError e);  // "truncated", ... for logs and tests

// A signature as a code carries it.
struct Signature {
  std::string key_id;  // 16 hex digits (signing::key_id)
  std::string bytes;   // 64 bytes, Ed25519 over the record up to the key id
  bool operator==(const Signature&) const = default;
};
// Who signs a code being made: the key's id and a function that signs the
// bytes the signature covers (64 bytes back). Empty: unsigned.
struct Signer {
  std::string key_id;
  std::function<std::string(std::string_view message)> sign;
  explicit operator bool() const { return static_cast<bool>(sign); }
};
Signer signer_for(const signing::KeyPair& key);

struct Parsed {
  ParseError error = ParseError::None;
  std::string detail;  // which field, for InvalidField / InvalidUtf8
  int version = 0;     // of a parsed code
  std::optional<HouseholdCard> card;
  std::optional<Pass> pass;
  std::optional<Signature> signature;  // none: unsigned (every version 1 card)
  std::string signed_bytes;            // what the signature covers
  bool ok() const { return error == ParseError::None; }
};

// Reads a code. Pure: checks structure, checksum and values, not the
// signature (verify()).
Parsed parse(std::string_view text);

// A card, signed when `signer` is given (the city's card key).
Result<std::string> encode_card(const HouseholdCard& card, const Signer& signer = {});
// A pass, signed by the kiosk's device key (an empty signer makes an
// unsigned pass, which every kiosk refuses: for tests).
Result<std::string> encode_pass(const Pass& pass, const Signer& signer);

// Checks a parsed code's signature: a pass against the trusted device keys,
// a card against the city's card keys.
signing::Verdict verify(const Parsed& parsed, const signing::KeyRing& keys);

// The binary record inside the text (for size figures and tests).
size_t record_bytes(std::string_view text);

}  // namespace shelter::qr
