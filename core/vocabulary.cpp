#include "core/vocabulary.hpp"

namespace shelter::vocab {

namespace {
template <size_t N>
nlohmann::json list(const std::array<std::string_view, N>& a) {
  nlohmann::json out = nlohmann::json::array();
  for (auto s : a) out.push_back(std::string(s));
  return out;
}
}  // namespace

nlohmann::json to_json() {
  return {{"needs", list(kNeeds)},         {"age_bands", list(kAgeBands)},         {"stays", list(kStays)},
          {"sexes", list(kSexOrder)},      {"person_fields", list(kPersonFields)}, {"pet_kinds", list(kPetKinds)},
          {"count_keys", list(kCountKeys)}};
}

}  // namespace shelter::vocab
