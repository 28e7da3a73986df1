#pragma once
// Printed household cards (issue 23) for 自主防災組織 and city staff, made by
// `shelterctl make-card --format pdf` and the dashboard's POST /v1/card-sheets:
// the QR code, the members' names in kanji and kana, the assigned shelter and
// how to use the card at the kiosk in Japanese, やさしい日本語 and English.
#include <string>
#include <vector>

#include "core/qr_payload.hpp"
#include "core/result.hpp"
#include "print/residents.hpp"

namespace shelter::print {

enum class SheetLayout {
  A4,   // one A4 page per household
  Cut,  // ten credit-card size cards (85.6 x 54 mm) per A4, with cut marks
};

// Every household's card, signed when `signer` is given (the city's card
// key), else marked unsigned on the paper. Fails naming the household
// whose card cannot be encoded; nothing is half made.
Result<std::string> card_sheets_pdf(const std::vector<ResidentHousehold>& households, const qr::Signer& signer,
                                    SheetLayout layout);

// Where card `index` of a page lies in the cut layout, in points from the
// page's top left (for tests that read each card as cut from the sheet).
struct CardCell {
  double x, y, w, h;
};
inline constexpr int kCutCardsPerPage = 10;
CardCell cut_card_cell(int index);

// One QR module's width on a cut card, in mm, for a code `modules` wide
// (without its quiet zone). Below kMinCutModuleMm a webcam at arm's length
// struggles (a big household signed): shelterctl says to print it on A4.
double cut_card_module_mm(int modules);
inline constexpr double kMinCutModuleMm = 0.5;

}  // namespace shelter::print
