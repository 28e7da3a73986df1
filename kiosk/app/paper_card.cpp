// The blank evacuee card (避難者カード): what the walk-in form asks, on
// paper, with boxes big enough to write in by hand, for when the kiosk is
// down. A volunteer types it in later and signs the box at the bottom.
#include "kiosk/app/paper.hpp"
#include "kiosk/app/paper_draw.hpp"
#include "kiosk/app/paper_text.hpp"

namespace shelter::kiosk::paper {

namespace {

constexpr double kWidth = kA4Width - 2 * kMargin;
constexpr double kLabelSize = 9, kTextSize = 11, kTick = 13;
constexpr int kMemberRows = 8;
constexpr double kMemberRow = 34;

// A box to write in, its label small in the top-left corner.
void field(Pdf& pdf, double x, double y, double w, double h, const std::string& label) {
  pdf.rect(x, y, w, h, 1.0);
  pdf.text(x + 4, y + 11, label, kLabelSize, true);
}

// A tick box and its word; returns the x after them.
double tick(Pdf& pdf, double x, double y, const std::string& word, double size = kTextSize) {
  pdf.tick_box(x, y - kTick + 2, kTick);
  pdf.text(x + kTick + 4, y, word, size);
  return x + kTick + 4 + pdf.width(word, size) + 14;
}

void members_table(Pdf& pdf, const Words& w, double y) {
  struct Col {
    const char* label;
    double width;
    const char* hint;  // printed grey in each row: what to circle or fill
  };
  const Col cols[] = {{"", 20, nullptr},
                      {w.card_name, 140, nullptr},
                      {w.card_reading, 128, nullptr},
                      {w.card_sex, 64, w.sex_choices},
                      {w.card_birth, 106, w.birth_blanks},
                      {w.card_needs, 65, nullptr}};
  const double head = 20;
  pdf.fill_rect(kMargin, y, kWidth, head, 0.85);
  double x = kMargin;
  for (const Col& c : cols) {
    const double size = pdf.fit(c.label, c.width - 6, 9.5, 7, true);
    pdf.text(x + 3, y + 14, c.label, size, true);
    x += c.width;
  }
  for (int r = 0; r < kMemberRows; ++r) {
    const double top = y + head + r * kMemberRow;
    pdf.line(kMargin, top, kMargin + kWidth, top, 0.5);
    pdf.text(kMargin + 10, top + kMemberRow / 2 + 4, std::to_string(r + 1), 10, false, Align::Centre);
    double cx = kMargin;
    for (const Col& c : cols) {
      if (c.hint) {
        cairo_set_source_rgb(pdf.cr(), 0.45, 0.45, 0.45);
        const double size = pdf.fit(c.hint, c.width - 6, 9, 6.5);
        pdf.text(cx + c.width - 4, top + kMemberRow - 7, c.hint, size, false, Align::Right);
        cairo_set_source_rgb(pdf.cr(), 0, 0, 0);
      }
      cx += c.width;
    }
  }
  const double bottom = y + head + kMemberRows * kMemberRow;
  x = kMargin;
  for (size_t i = 0; i + 1 < std::size(cols); ++i) {
    x += cols[i].width;
    pdf.line(x, y, x, bottom, 0.5);
  }
  pdf.rect(kMargin, y, kWidth, bottom - y, 1.2);
}

}  // namespace

Result<std::string> blank_card_pdf(const std::string& shelter_name, const std::string& lang) {
  const Words& w = words(lang);
  auto opened = Pdf::open(w.card_title, lang != "ja");
  if (!opened) return opened.error().context("evacuee card");
  Pdf& pdf = **opened;
  const double right = kMargin + kWidth;

  pdf.text(kMargin, kMargin + 24, w.card_title, 26, true);
  double y = kMargin + 44;
  for (const std::string& l : pdf.wrap(w.card_intro, kWidth, 10)) {
    pdf.text(kMargin, y, l, 10);
    y += 13;
  }

  // The shelter and the day of arrival.
  y += 4;
  field(pdf, kMargin, y, 300, 34, w.shelter);
  if (!shelter_name.empty()) {
    const double size = pdf.fit(shelter_name, 240, 14, 9, true);
    pdf.text(kMargin + 52, y + 26, pdf.elide(shelter_name, 240, size, true), size, true);
  }
  field(pdf, kMargin + 308, y, kWidth - 308, 34, w.arrival);
  pdf.text(right - 6, y + 28, w.date_blanks, kTextSize, false, Align::Right);
  y += 46;

  pdf.text(kMargin, y + 10, w.members, 12, true);
  y += 16;
  members_table(pdf, w, y);
  y += 20 + kMemberRows * kMemberRow + 10;

  field(pdf, kMargin, y, kWidth, 46, w.address);
  y += 54;
  field(pdf, kMargin, y, 240, 34, w.phone);
  field(pdf, kMargin + 248, y, kWidth - 248, 34, w.stay);
  double x = kMargin + 256;
  for (const char* s : w.stays) x = tick(pdf, x, y + 29, s);
  y += 44;

  // The needs: numbered, for the table's needs column.
  const auto intro = pdf.wrap(w.needs_intro, kWidth - 10, kLabelSize + 0.5, true);
  const double needs_h = 18 + 13 * static_cast<double>(intro.size()) + 3 * 22;
  pdf.rect(kMargin, y, kWidth, needs_h, 1.0);
  double ly = y + 12;
  for (const std::string& l : intro) {
    pdf.text(kMargin + 4, ly, l, kLabelSize + 0.5, true);
    ly += 13;
  }
  for (size_t i = 0; i < w.needs.size(); ++i) {
    const double cx = kMargin + 8 + static_cast<double>(i % 3) * (kWidth / 3);
    const double cy = ly + 16 + static_cast<double>(i / 3) * 22;
    tick(pdf, cx, cy, std::to_string(i + 1) + "  " + w.needs[i]);
  }
  y += needs_h + 8;

  // Pets: a tick for each kind and a box for how many; "other" has a line
  // for what it is.
  field(pdf, kMargin, y, kWidth, 36, w.pets);
  x = kMargin + 60;
  for (const char* kind : {w.dog, w.cat, w.pet_other}) {
    x = tick(pdf, x, y + 27, kind) - 8;
    if (kind == w.pet_other) {
      pdf.line(x, y + 29, x + 90, y + 29, 0.6);
      x += 98;
    }
    pdf.rect(x, y + 12, 30, 20, 0.8);
    pdf.text(x + 34, y + 27, w.pet_count, kTextSize);
    x += 34 + pdf.width(w.pet_count, kTextSize) + 22;
  }
  y += 44;

  // Consent to tell people who ask that they are here (安否).
  const auto question = pdf.wrap(w.consent, kWidth - 150, 10.5, true);
  const double consent_h = std::max(34.0, 12 + 14 * static_cast<double>(question.size()));
  pdf.rect(kMargin, y, kWidth, consent_h, 1.0);
  ly = y + 15;
  for (const std::string& l : question) {
    pdf.text(kMargin + 4, ly, l, 10.5, true);
    ly += 14;
  }
  x = tick(pdf, right - 140, y + consent_h / 2 + 5, w.yes, 12);
  tick(pdf, std::max(x, right - 70), y + consent_h / 2 + 5, w.no, 12);
  y += consent_h + 14;

  // The volunteer's box, set apart.
  pdf.fill_rect(kMargin, y, kWidth, 40, 0.92);
  pdf.rect(kMargin, y, kWidth, 40, 1.2);
  pdf.text(kMargin + 6, y + 25, w.entered_by, 10, true);
  const double date_x = right - 150;
  pdf.text(date_x, y + 25, w.entered_on, 10, true);
  pdf.line(date_x + pdf.width(w.entered_on, 10, true) + 6, y + 30, right - 8, y + 30, 0.6);
  pdf.line(kMargin + 12 + pdf.width(w.entered_by, 10, true), y + 30, date_x - 12, y + 30, 0.6);
  return pdf.finish().context("evacuee card");
}

}  // namespace shelter::kiosk::paper
