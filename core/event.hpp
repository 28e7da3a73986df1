#pragma once
// Events: the only thing ever written. Everything else (who is present,
// counts) is a projection folded from them; see projection.hpp.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/hlc.hpp"
#include "core/model.hpp"
#include "core/result.hpp"

namespace shelter {

// Registered: a new person's details (a walk-in's form, a household card's
// member), written beside the arrival. It applies only where the person is
// new: the earliest registration wins, every other write of a field beats
// it, and the server refuses one for a person it already knows
// (core/write_rules.hpp). Appended last: types are stored by name, but the
// order here is the order of kTypeNames.
enum class EventType : std::uint8_t {
  Arrived,
  WentOut,
  CameBack,
  Left,
  Corrected,
  Merged,
  HouseholdLinked,
  Registered,
  NotDuplicate
};
std::string_view to_string(EventType t);  // "arrived", "went_out", ...
std::optional<EventType> parse_event_type(std::string_view s);

// Person fields an event may set. Values are strings in the canonical forms
// of model.hpp (sex "M"/"F"/"X"/"", birth "1950"/"1950-04-01", needs
// "infant,allergy", consent "1"/"0", stay "shelter"/"car"/"home", pets
// "dog=1,cat=0,other=2"/"").
namespace field {
inline constexpr std::string_view kName = "name";
inline constexpr std::string_view kReading = "reading";
inline constexpr std::string_view kSex = "sex";
inline constexpr std::string_view kBirth = "birth";
inline constexpr std::string_view kAddress = "address";
inline constexpr std::string_view kPhone = "phone";
inline constexpr std::string_view kNeeds = "needs";
inline constexpr std::string_view kNeedsOther = "needs_other";
inline constexpr std::string_view kConsent = "consent";
inline constexpr std::string_view kStay = "stay";
inline constexpr std::string_view kHousehold = "household_id";
// The household's pets (model.hpp's Pets), on one member: vocab::kHouseholdFields.
inline constexpr std::string_view kPets = "pets";
// Whereabouts, set by events, never by a body (docs/protocol.md, "Whereabouts"):
// kWhere is the shelter of the person's latest arrival; each shelter's own
// status ("present", "out", "left") is the field kStatusPrefix + shelter id,
// written only by events recorded at that shelter. So an out/back/leave at A
// never moves a person whose latest arrival is at B.
inline constexpr std::string_view kWhere = "where";
inline constexpr std::string_view kStatusPrefix = "status:";
// Set by `merged` events: the person this record is a duplicate of ("" = unmerged).
inline constexpr std::string_view kMergedInto = "merged_into";
// The one key of a `merged` event's body: the person kept ("" = unmerge).
inline constexpr std::string_view kInto = "into";
// The one key of a `not_duplicate` event's body: the other person of a
// pair staff said are not the same person (either order; the pair is the
// same whichever way round). It writes no field: readers of duplicates
// look the dismissals up in the log (Store::possible_duplicates).
inline constexpr std::string_view kOther = "other";
// A `registered` event writes each person field f as kRegisteredPrefix + f:
// the earliest registration wins, and any other write of f (a correction,
// an arrival of an earlier version) beats it. PersonState::get(f) reads f,
// else the registered value.
inline constexpr std::string_view kRegisteredPrefix = "reg:";
}  // namespace field

// The fields a registration may carry: a person's details, not where they
// are or stay, nor the household's pets (those come with the arrival).
bool is_registration_field(std::string_view name);

// Fields a body may carry in `arrived` and `corrected` events.
bool is_person_field(std::string_view name);

struct Event {
  std::string id;  // "<device_id>.<hlc as 16 hex digits>": unique, since the HLC is per-device monotonic
  EventType type = EventType::Arrived;
  PersonId person_id;
  HouseholdId household_id;  // may be empty
  std::string shelter_id;
  std::string device_id;
  std::int64_t device_seq = 0;  // 1, 2, 3, ... per device: the sync idempotency key with device_id
  std::string author;           // "self" (kiosk self-service) or "staff:<volunteer name>"
  Hlc hlc = 0;
  nlohmann::json body = nlohmann::json::object();  // field values, or {"into": id} for merged
  // Set by the municipal server, never by a kiosk: the stamp the merge uses
  // instead of `hlc` when `hlc` was too far ahead of the server's clock on
  // arrival (0: not clamped). Not part of the id: the event stays the one
  // its kiosk wrote, and every node learns the same clamp with it.
  Hlc clamp = 0;

  Hlc effective_hlc() const { return clamp != 0 ? clamp : hlc; }
  // Same event as written by its device (id, content), whatever the clamp.
  bool same_content(const Event& o) const;
  bool operator==(const Event& o) const = default;
};

std::string make_event_id(std::string_view device_id, Hlc hlc);
// id == make_event_id(device_id, hlc), without making one.
bool is_event_id_of(std::string_view id, std::string_view device_id, Hlc hlc);

// Checks an event from any source (local, sync, USB import) before it is
// stored: ids, type-specific body fields, value forms, UTF-8, sizes.
Status validate(const Event& e);

// Hands `write` each (field, value) pair the event writes, in a fixed order,
// without copying them (the fold's hot path: a server folds thousands of
// events per batch).
void for_each_field_write(const Event& e, const std::function<void(std::string_view, std::string_view)>& write);

// Body helpers.
nlohmann::json person_body(const PersonInfo& info);  // all fields of PersonInfo

// The one reader of person fields, for bodies and projected states alike:
// `str(name)` gives a pointer to the field's value, or nullptr when absent.
template <typename Lookup>
void apply_person_fields(Lookup&& str, PersonInfo& info) {
  if (auto v = str(field::kName)) info.name = *v;
  if (auto v = str(field::kReading)) info.reading = *v;
  if (auto v = str(field::kSex)) info.sex = parse_sex(*v).value_or(Sex::Unknown);
  if (auto v = str(field::kBirth)) info.birth = parse_birth(*v).value_or(BirthDate{});
  if (auto v = str(field::kAddress)) info.address = *v;
  if (auto v = str(field::kPhone)) info.phone = *v;
  if (auto v = str(field::kNeeds)) info.needs = parse_needs(*v).value_or(0);
  if (auto v = str(field::kNeedsOther)) info.needs_other = *v;
  if (auto v = str(field::kConsent)) info.consent = *v == "1";
}

// JSON wire/file form of an event (stable key names; used by sync and export).
nlohmann::json to_json(const Event& e);
Result<Event> event_from_json(const nlohmann::json& j);

}  // namespace shelter
