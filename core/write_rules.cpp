#include "core/write_rules.hpp"

namespace shelter {

std::optional<WriteRefusal> kiosk_write_refusal(const Event& e, const PersonState* before) {
  if (!before || before->fields.empty()) return std::nullopt;  // a new person
  const std::string home = before->shelter_id();
  if (home.empty() || home == e.shelter_id) return std::nullopt;
  const std::string what = "event " + e.id + " (" + std::string(to_string(e.type)) + ") about person " + e.person_id +
                           " of shelter " + home + ": ";
  switch (e.type) {
    case EventType::Arrived:
      return std::nullopt;  // a transfer to e.shelter_id, never lost
    case EventType::WentOut:
    case EventType::CameBack:
    case EventType::Left:
      if (!before->status_at(e.shelter_id).empty()) return std::nullopt;  // their status at e.shelter_id
      return WriteRefusal{"not_this_shelter", what + "they were never at " + e.shelter_id};
    case EventType::Corrected:
    case EventType::Merged:
    case EventType::HouseholdLinked:
      break;
  }
  return WriteRefusal{"not_this_shelter", what + "only their shelter may change them"};
}

}  // namespace shelter
