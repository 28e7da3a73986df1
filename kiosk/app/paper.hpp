#pragma once
// Paper, for when the kiosk is down or a family wants their passes on one
// sheet: A4 PDFs made with cairo (kiosk/app/paper_draw.hpp, print/pdf.hpp). The kiosk's
// staff mode and `shelterctl print` both make them here.
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/signing.hpp"
#include "core/store.hpp"

namespace shelter::kiosk::paper {

// Paper comes in Japanese ("ja") and English ("en"): the language for a
// kiosk language (ja and ja-easy: Japanese; the others: English).
std::string paper_lang(const std::string& kiosk_lang);
bool known_lang(const std::string& lang);

// The shelter roster: everyone at this store's shelter who is present or
// out, grouped by household, paginated ("page n / m"). `printed_at` is the
// time shown on each page (empty: now, local time).
Result<std::string> roster_pdf(Store& store, const std::string& shelter_name, const std::string& lang,
                               const std::string& printed_at = {});

// A blank evacuee card (避難者カード) to fill in by hand: one page. An empty
// shelter name leaves a line to write it on.
Result<std::string> blank_card_pdf(const std::string& shelter_name, const std::string& lang);

// One person's pass: their name and the pass's QR text.
struct PassEntry {
  std::string name;
  std::string text;
};
// Every pass of a household on one sheet (2 columns, 4 rows a page), each
// with the name under it, with the shelter's name and the date.
Result<std::string> pass_sheet_pdf(const std::vector<PassEntry>& passes, const std::string& shelter_name,
                                   const std::string& lang, const std::string& date = {});

// Where the pass at `index` on its page lies (points from the top left),
// cut lines included: for tests that read each pass on its own, as a
// camera sees a pass cut from the sheet.
struct Box {
  double x, y, w, h;
};
Box pass_cell(size_t index);

// Passes for the members of `household` at this store's shelter who are
// present or out, signed with `key` (the kiosk's device key).
Result<std::vector<PassEntry>> household_passes(Store& store, const HouseholdId& household,
                                                const signing::KeyPair& key);

}  // namespace shelter::kiosk::paper
