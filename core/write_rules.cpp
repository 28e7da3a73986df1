#include "core/write_rules.hpp"

namespace shelter {

bool carries_details(const Event& e) {
  if (e.type == EventType::Registered) return true;
  if (e.type != EventType::Arrived) return false;
  for (const auto& [k, v] : e.body.items())
    if (is_registration_field(k)) return true;
  return false;
}

std::optional<WriteRefusal> author_refusal(const Event& e) {
  const std::string what = "event " + e.id + " (" + std::string(to_string(e.type)) + "): ";
  const bool staff = e.author.starts_with("staff:") && e.author.size() > 6;
  if (e.author != "self" && !staff)
    return WriteRefusal{"bad_author", what + "a kiosk writes as \"self\" or \"staff:<volunteer>\""};
  switch (e.type) {
    case EventType::Corrected:
    case EventType::Merged:
    case EventType::HouseholdLinked:
    case EventType::NotDuplicate:
      if (!staff) return WriteRefusal{"not_staff", what + "only a named volunteer may change a person"};
      break;
    default:
      break;
  }
  return std::nullopt;
}

std::optional<WriteRefusal> kiosk_write_refusal(const Event& e, const PersonState* before) {
  if (auto refusal = author_refusal(e)) return refusal;
  if (!before || before->fields.empty()) return std::nullopt;  // a new person
  const std::string what = "event " + e.id + " (" + std::string(to_string(e.type)) + ") about person " + e.person_id;
  // A card's or a form's details apply only to a new person, wherever the
  // person is known: a forged card cannot rewrite a name or a consent.
  if (carries_details(e) && before->has_details())
    return WriteRefusal{"known_person", what + ": details of a known person change only by a staff correction"};
  const std::string home = before->shelter_id();
  if (home.empty() || home == e.shelter_id) return std::nullopt;
  const std::string of = what + " of shelter " + home + ": ";
  switch (e.type) {
    case EventType::Arrived:
    case EventType::Registered:
      return std::nullopt;  // a transfer to e.shelter_id, never lost
    case EventType::WentOut:
    case EventType::CameBack:
    case EventType::Left:
      if (!before->status_at(e.shelter_id).empty()) return std::nullopt;  // their status at e.shelter_id
      return WriteRefusal{"not_this_shelter", of + "they were never at " + e.shelter_id};
    case EventType::Corrected:
    case EventType::Merged:
    case EventType::HouseholdLinked:
    case EventType::NotDuplicate:
      break;
  }
  return WriteRefusal{"not_this_shelter", of + "only their shelter may change them"};
}

}  // namespace shelter
