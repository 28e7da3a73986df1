#pragma once
// The domain model: who is at a shelter and what they need. Plain values,
// no storage: the store folds events into these (see projection.hpp).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/vocabulary.hpp"

namespace shelter {

// Ids of persons and households are 8 random bytes written as 16 lowercase
// hex digits: short enough for a QR card, collision odds ~1e-8 at a million
// persons. Shelter and device ids are short operator-chosen slugs.
using PersonId = std::string;
using HouseholdId = std::string;
std::string new_id();                       // 16 hex digits from libsodium's CSPRNG
bool is_valid_id(std::string_view id);      // exactly 16 lowercase hex digits
bool is_valid_slug(std::string_view slug);  // [a-z0-9-_], 1..32 chars

enum class Sex : std::uint8_t { Unknown = 0, Male = 1, Female = 2, Other = 3 };
std::string_view to_string(Sex s);  // vocab::kSexes: "", "M", "F", "X"
std::optional<Sex> parse_sex(std::string_view s);

enum class StayType : std::uint8_t { Shelter = 0, Car = 1, Home = 2 };
std::string_view to_string(StayType s);  // vocab::kStays: "shelter", "car", "home"
std::optional<StayType> parse_stay(std::string_view s);

// 要配慮 (special-care) needs as a bit set.
enum Need : std::uint16_t {
  kNeedIllness = 1 << 0,  // illness or injury
  kNeedPregnant = 1 << 1,
  kNeedInfant = 1 << 2,
  kNeedDisability = 1 << 3,
  kNeedCare = 1 << 4,           // needs nursing care
  kNeedMedicalDevice = 1 << 5,  // e.g. oxygen, dialysis
  kNeedAllergy = 1 << 6,
  kNeedLanguage = 1 << 7,  // language help
  kNeedOther = 1 << 8,     // described in needs_other
};
inline constexpr int kNeedCount = static_cast<int>(vocab::kNeeds.size());  // one per name
inline constexpr std::uint16_t kAllNeeds = (1u << kNeedCount) - 1;
std::string_view need_name(int bit);                                    // vocab::kNeeds: "illness", "pregnant", ...
std::optional<std::uint16_t> parse_needs(std::string_view comma_list);  // "infant,allergy"
std::string needs_to_string(std::uint16_t needs);                       // "infant,allergy"

// A birth date that may be known only to the year. year==0: unknown;
// month==0: year only.
struct BirthDate {
  std::uint16_t year = 0;
  std::uint8_t month = 0;
  std::uint8_t day = 0;
  bool known() const { return year != 0; }
  bool operator==(const BirthDate&) const = default;
};
std::string to_string(const BirthDate& b);  // "", "1950", "1950-04-01"
std::optional<BirthDate> parse_birth(std::string_view s);

// Age bands used in the counts.
enum class AgeBand : std::uint8_t { B0_5, B6_12, B13_17, B18_64, B65_74, B75Plus, Unknown };
inline constexpr int kAgeBandCount = 7;
std::string_view to_string(AgeBand b);  // vocab::kAgeBands: "0-5", ..., "75+", "unknown"
// Age on `today` (a "YYYY-MM-DD" date); a year-only birth counts as 1 July.
AgeBand age_band(const BirthDate& birth, const BirthDate& today);
BirthDate today_utc();

// What a person told us about themselves (from a card, the form or staff).
struct PersonInfo {
  std::string name;     // as written, any script; kept byte-exact
  std::string reading;  // name reading, normally katakana (フリガナ)
  Sex sex = Sex::Unknown;
  BirthDate birth;
  std::string address;
  std::string phone;
  std::uint16_t needs = 0;  // Need bits
  std::string needs_other;  // free text for kNeedOther / allergy details
  bool consent = false;     // consents to 安否 (safety) disclosure
  bool operator==(const PersonInfo&) const = default;
};

// The pets a household brings: a count per vocab::kPetKinds kind. Kept as
// the household-level field "pets" on one member (event.hpp). Canonical
// text: every kind in vocabulary order, "dog=1,cat=0,other=2"; "" when
// there are none (or nobody asked).
inline constexpr int kPetKindCount = static_cast<int>(vocab::kPetKinds.size());
inline constexpr int kMaxPetsPerKind = 20;
struct Pets {
  std::array<int, vocab::kPetKinds.size()> count{};  // index = vocab::kPetKinds
  int total() const;
  bool operator==(const Pets&) const = default;
};
// Strict: "" (none) or "kind=N" items separated by commas, each a known
// kind at most once, N a plain decimal 0..20; a kind not given is 0.
std::optional<Pets> parse_pets(std::string_view s);
std::string to_string(const Pets& p);  // "" when total() == 0

enum class Presence : std::uint8_t { None = 0, Present = 1, Out = 2, Left = 3 };
std::string_view to_string(Presence p);  // "", "present", "out", "left"
std::optional<Presence> parse_presence(std::string_view s);

struct Shelter {
  std::string id;    // slug, e.g. "tama-01"
  std::string name;  // display name
  int capacity = 0;
};

struct Device {
  std::string id;  // slug, e.g. "tama-01-a"
  std::string shelter_id;
};

// UTF-8 validity (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view s);
// C0 controls (tab, CR and LF included), DEL, or C1 controls (U+0080 to
// U+009F): never part of a person's field, from any entry point.
bool has_control_chars(std::string_view utf8);

}  // namespace shelter
