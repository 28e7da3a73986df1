#include "core/event.hpp"

#include <array>

#include "core/vocabulary.hpp"

namespace shelter {

static constexpr std::array<std::string_view, 9> kTypeNames = {
    "arrived", "went_out",         "came_back",  "left",         "corrected",
    "merged",  "household_linked", "registered", "not_duplicate"};

std::string_view to_string(EventType t) {
  return kTypeNames[static_cast<size_t>(t)];
}

std::optional<EventType> parse_event_type(std::string_view s) {
  for (size_t i = 0; i < kTypeNames.size(); ++i)
    if (kTypeNames[i] == s) return static_cast<EventType>(i);
  return std::nullopt;
}

bool is_registration_field(std::string_view name) {
  return name != field::kStay && name != field::kHousehold && name != field::kPets && is_person_field(name);
}

bool is_person_field(std::string_view name) {
  for (auto f : vocab::kPersonFields)
    if (f == name) return true;
  for (auto f : vocab::kHouseholdFields)
    if (f == name) return true;
  return name == field::kHousehold;
}

static constexpr char kHex[] = "0123456789abcdef";
static char hex_digit(Hlc hlc, int i) {
  return kHex[(hlc >> (60 - 4 * i)) & 0xf];
}  // i-th of 16, first is highest

std::string make_event_id(std::string_view device_id, Hlc hlc) {
  std::string id;
  id.reserve(device_id.size() + 17);
  id.append(device_id).append(1, '.');
  for (int i = 0; i < 16; ++i) id += hex_digit(hlc, i);
  return id;
}

bool is_event_id_of(std::string_view id, std::string_view device_id, Hlc hlc) {
  if (id.size() != device_id.size() + 17 || id.substr(0, device_id.size()) != device_id || id[device_id.size()] != '.')
    return false;
  for (int i = 0; i < 16; ++i)
    if (id[device_id.size() + 1 + static_cast<size_t>(i)] != hex_digit(hlc, i)) return false;
  return true;
}

static constexpr size_t kMaxText = 256;  // bytes, per field value

static Status validate_field(std::string_view name, const nlohmann::json& v) {
  const std::string where = "field " + std::string(name);
  if (!v.is_string()) return fail(where + ": not a string");
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() > kMaxText) return fail(where + ": longer than 256 bytes");
  if (!is_valid_utf8(s)) return fail(where + ": invalid UTF-8");
  if (has_control_chars(s)) return fail(where + ": control characters are not allowed");
  if (name == field::kSex && !parse_sex(s)) return fail(where + ": must be M, F, X or empty");
  if (name == field::kBirth && !parse_birth(s)) return fail(where + ": must be YYYY or YYYY-MM-DD");
  if (name == field::kNeeds && !parse_needs(s)) return fail(where + ": unknown need");
  if (name == field::kConsent && s != "0" && s != "1") return fail(where + ": must be 0 or 1");
  if (name == field::kStay && (s.empty() || !parse_stay(s))) return fail(where + ": must be shelter, car or home");
  if (name == field::kHousehold && !is_valid_id(s)) return fail(where + ": not an id");
  if (name == field::kPets && !parse_pets(s))
    return fail(where + ": must be \"\" or kind=count items (dog, cat, other; 0 to 20 each), e.g. dog=1,cat=0,other=2");
  return {};
}

Status validate(const Event& e) {
  if (!is_valid_slug(e.device_id)) return fail("event: bad device id");
  if (!is_event_id_of(e.id, e.device_id, e.hlc)) return fail("event: id does not match device and clock");
  if (!is_valid_id(e.person_id)) return fail("event " + e.id + ": bad person id");
  if (!e.household_id.empty() && !is_valid_id(e.household_id)) return fail("event " + e.id + ": bad household id");
  if (!is_valid_slug(e.shelter_id)) return fail("event " + e.id + ": bad shelter id");
  if (e.device_seq < 1) return fail("event " + e.id + ": device sequence must start at 1");
  if (e.author.empty() || e.author.size() > 64 || !is_valid_utf8(e.author) || has_control_chars(e.author))
    return fail("event " + e.id + ": bad author");
  if (e.hlc == 0) return fail("event " + e.id + ": missing timestamp");
  if (e.clamp != 0 && e.clamp >= e.hlc) return fail("event " + e.id + ": a clamp must be earlier than the clock");
  if (!e.body.is_object()) return fail("event " + e.id + ": body is not an object");
  const std::string ctx = "event " + e.id;
  switch (e.type) {
    case EventType::Arrived:
    case EventType::Corrected:
      if (e.type == EventType::Corrected && e.body.empty()) return fail(ctx + ": correction changes nothing");
      for (const auto& [k, v] : e.body.items()) {
        if (!is_person_field(k)) return fail(ctx + ": unknown field " + k);
        if (auto st = validate_field(k, v); !st) return st.error().context(ctx);
      }
      break;
    case EventType::Registered:
      if (e.body.empty()) return fail(ctx + ": registration without details");
      for (const auto& [k, v] : e.body.items()) {
        if (!is_registration_field(k)) return fail(ctx + ": a registration cannot carry " + k);
        if (auto st = validate_field(k, v); !st) return st.error().context(ctx);
      }
      break;
    case EventType::WentOut:
    case EventType::CameBack:
    case EventType::Left:
      if (!e.body.empty()) return fail(ctx + ": status events carry no fields");
      break;
    case EventType::Merged: {
      if (e.body.size() != 1 || !e.body.contains(field::kInto) || !e.body[field::kInto].is_string())
        return fail(ctx + ": merged needs {\"into\": person id or \"\"}");
      const auto& into = e.body[field::kInto].get_ref<const std::string&>();
      if (!into.empty() && !is_valid_id(into)) return fail(ctx + ": merged into a bad id");
      if (into == e.person_id) return fail(ctx + ": a person cannot be merged into itself");
      break;
    }
    case EventType::HouseholdLinked:
      if (!is_valid_id(e.household_id) || !e.body.empty())
        return fail(ctx + ": household_linked needs a household id and no fields");
      break;
    case EventType::NotDuplicate: {
      if (e.body.size() != 1 || !e.body.contains(field::kOther) || !e.body[field::kOther].is_string())
        return fail(ctx + ": not_duplicate needs {\"other\": person id}");
      const auto& other = e.body[field::kOther].get_ref<const std::string&>();
      if (!is_valid_id(other)) return fail(ctx + ": not_duplicate of a bad id");
      if (other == e.person_id) return fail(ctx + ": a person is always the same as itself");
      break;
    }
  }
  return {};
}

void for_each_field_write(const Event& e, const std::function<void(std::string_view, std::string_view)>& write) {
  // The status at the event's own shelter; an arrival also says where the
  // person is now.
  auto presence = [&](std::string_view p) {
    std::string name;
    name.reserve(field::kStatusPrefix.size() + e.shelter_id.size());
    name.append(field::kStatusPrefix).append(e.shelter_id);
    write(name, p);
  };
  switch (e.type) {
    case EventType::Arrived:
      presence("present");
      write(field::kWhere, e.shelter_id);
      if (!e.household_id.empty()) write(field::kHousehold, e.household_id);
      [[fallthrough]];
    case EventType::Corrected:
      for (const auto& [k, v] : e.body.items()) {
        if (k == field::kHousehold && e.type == EventType::Arrived && !e.household_id.empty()) continue;
        if (v.is_string()) write(k, v.get_ref<const std::string&>());
      }
      break;
    case EventType::WentOut:
      presence("out");
      break;
    case EventType::CameBack:
      presence("present");
      break;
    case EventType::Left:
      presence("left");
      break;
    case EventType::Merged:
      write(field::kMergedInto, e.body.value(field::kInto, ""));
      break;
    case EventType::HouseholdLinked:
      write(field::kHousehold, e.household_id);
      break;
    case EventType::NotDuplicate:
      break;  // read from the log, not the person's fields
    case EventType::Registered: {
      std::string name(field::kRegisteredPrefix);
      for (const auto& [k, v] : e.body.items()) {
        name.resize(field::kRegisteredPrefix.size());
        name += k;
        if (v.is_string()) write(name, v.get_ref<const std::string&>());
      }
      break;
    }
  }
}

nlohmann::json person_body(const PersonInfo& info) {
  return nlohmann::json{{field::kName, info.name},
                        {field::kReading, info.reading},
                        {field::kSex, std::string(to_string(info.sex))},
                        {field::kBirth, to_string(info.birth)},
                        {field::kAddress, info.address},
                        {field::kPhone, info.phone},
                        {field::kNeeds, needs_to_string(info.needs)},
                        {field::kNeedsOther, info.needs_other},
                        {field::kConsent, info.consent ? "1" : "0"}};
}

bool Event::same_content(const Event& o) const {
  return id == o.id && type == o.type && person_id == o.person_id && household_id == o.household_id &&
         shelter_id == o.shelter_id && device_id == o.device_id && device_seq == o.device_seq && author == o.author &&
         hlc == o.hlc && body == o.body;
}

nlohmann::json to_json(const Event& e) {
  auto j = nlohmann::json{{"id", e.id},
                          {"type", std::string(to_string(e.type))},
                          {"person", e.person_id},
                          {"household", e.household_id},
                          {"shelter", e.shelter_id},
                          {"device", e.device_id},
                          {"seq", e.device_seq},
                          {"author", e.author},
                          {"hlc", e.hlc},
                          {"body", e.body}};
  if (e.clamp != 0) j["clamp"] = e.clamp;
  return j;
}

Result<Event> event_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return fail("event is not a JSON object");
  Event e;
  try {
    e.id = j.at("id").get<std::string>();
    auto type = parse_event_type(j.at("type").get<std::string>());
    if (!type) return fail("event " + e.id + ": unknown type");
    e.type = *type;
    e.person_id = j.at("person").get<std::string>();
    e.household_id = j.value("household", "");
    e.shelter_id = j.at("shelter").get<std::string>();
    e.device_id = j.at("device").get<std::string>();
    // Whole numbers only: nlohmann converts a number too big for 64 bits
    // (read as a double) with a cast whose result is undefined.
    if (!j.at("seq").is_number_integer()) return fail("event " + e.id + ": seq must be a whole number");
    e.device_seq = j.at("seq").get<std::int64_t>();
    e.author = j.at("author").get<std::string>();
    if (!j.at("hlc").is_number_unsigned()) return fail("event " + e.id + ": hlc must be a whole number >= 0");
    e.hlc = j.at("hlc").get<Hlc>();
    e.body = j.value("body", nlohmann::json::object());
    if (j.contains("clamp")) {
      if (!j["clamp"].is_number_unsigned()) return fail("event " + e.id + ": clamp must be a whole number >= 0");
      e.clamp = j["clamp"].get<Hlc>();
    }
  } catch (const nlohmann::json::exception& ex) {
    return fail(std::string("malformed event: ") + ex.what());
  }
  if (auto st = validate(e); !st) return st.error();
  return e;
}

}  // namespace shelter
