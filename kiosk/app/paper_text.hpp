#pragma once
// The words printed on paper, in Japanese and English. The vocabularies
// (needs, stays) are arrays the size of core's lists, so a need added in
// core/vocabulary.hpp without its words here does not compile.
#include <array>
#include <string>

#include "core/vocabulary.hpp"

namespace shelter::kiosk::paper {

struct Words {
  std::array<const char *, vocab::kNeeds.size()> needs;
  std::array<const char *, vocab::kStays.size()> stays;
  const char *female, *male, *other_sex;
  const char *present, *out;
  const char *list_sep;  // between needs in a cell
  // Roster.
  const char *roster_title, *page, *printed, *col_no, *col_name, *col_reading, *col_sex, *col_birth, *col_stay,
      *col_needs, *col_presence, *summary_present, *summary_out, *summary_households, *personal_data, *nobody;
  // Blank card.
  const char *card_title, *card_intro, *shelter, *arrival, *date_blanks, *members, *card_name, *card_reading, *card_sex,
      *sex_choices, *card_birth, *birth_blanks, *card_needs, *address, *phone, *stay, *needs_intro, *pets, *dog, *cat,
      *pet_other, *pet_count, *consent, *yes, *no, *entered_by, *entered_on;
  // Pass sheet.
  const char *passes_title, *passes_hint, *date;
};

const Words &words(const std::string &lang);  // "ja" or anything else: English

}  // namespace shelter::kiosk::paper
