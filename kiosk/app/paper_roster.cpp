// The shelter roster on paper: who is here or out, grouped by household,
// in the store's reading order, so that a volunteer finds a name by hand.
#include <map>

#include "core/vocabulary.hpp"
#include "kiosk/app/paper.hpp"
#include "kiosk/app/paper_draw.hpp"
#include "kiosk/app/paper_text.hpp"

namespace shelter::kiosk::paper {

namespace {

struct Column {
  const char* Words::*label;
  double width;
};
// 523 points: the page less its margins.
const Column kColumns[] = {{&Words::col_no, 30},     {&Words::col_name, 112},   {&Words::col_reading, 96},
                           {&Words::col_sex, 32},    {&Words::col_birth, 66},   {&Words::col_stay, 42},
                           {&Words::col_needs, 103}, {&Words::col_presence, 42}};
constexpr double kBodySize = 10, kNeedsSize = 8.5, kNeedsLine = 10.5, kRowMin = 19, kHeaderRow = 17;
constexpr double kTableTop = kMargin + 62, kBottom = kA4Height - kMargin - 18;

struct Row {
  std::string cells[8];
  std::vector<std::string> needs_lines;
  double height = kRowMin;
};
struct Household {
  std::vector<Row> rows;
  double height = 0;
};

std::string sex_word(const Words& w, Sex s) {
  switch (s) {
    case Sex::Female:
      return w.female;
    case Sex::Male:
      return w.male;
    case Sex::Other:
      return w.other_sex;
    case Sex::Unknown:
      break;
  }
  return "";
}

std::string needs_words(const Words& w, std::uint16_t needs, const std::string& other) {
  std::string out;
  for (size_t i = 0; i < vocab::kNeeds.size(); ++i)
    if (needs & (1u << i)) out += (out.empty() ? "" : w.list_sep) + std::string(w.needs[i]);
  if (!other.empty()) out += (out.empty() ? "" : " ") + ("(" + other + ")");
  return out;
}

void header(Pdf& pdf, const Words& w, const std::string& shelter, const std::string& printed, int page, int pages,
            const std::string& summary) {
  const double right = kA4Width - kMargin;
  pdf.text(kMargin, kMargin + 16, w.roster_title, 18, true);
  pdf.text(right, kMargin + 14, std::string(w.page) + " " + std::to_string(page) + " / " + std::to_string(pages), 11,
           false, Align::Right);
  pdf.text(kMargin, kMargin + 36, pdf.elide(shelter, 330, 13, true), 13, true);
  pdf.text(right, kMargin + 34, std::string(w.printed) + " " + printed, 10, false, Align::Right);
  pdf.text(kMargin, kMargin + 53, summary, 10);
  pdf.text(kA4Width / 2, kA4Height - kMargin, w.personal_data, 8, false, Align::Centre);
}

void table_head(Pdf& pdf, const Words& w, double y) {
  pdf.fill_rect(kMargin, y, kA4Width - 2 * kMargin, kHeaderRow, 0.82);
  double x = kMargin;
  for (const Column& c : kColumns) {
    pdf.text(x + 3, y + 12, pdf.elide(w.*c.label, c.width - 5, 9, true), 9, true);
    x += c.width;
  }
}

// Sizes: one per column, so that a column reads evenly; names each their
// own, the largest that fits.
void draw_row(Pdf& pdf, const Row& r, double y, const std::vector<double>& sizes) {
  double x = kMargin;
  for (size_t i = 0; i < std::size(kColumns); ++i) {
    const double inner = kColumns[i].width - 5;
    if (i == 6) {
      for (size_t k = 0; k < r.needs_lines.size(); ++k)
        pdf.text(x + 3, y + 4 + kNeedsLine * static_cast<double>(k + 1) - 2, r.needs_lines[k], kNeedsSize);
    } else {
      const bool name = i == 1;
      const double size = name ? pdf.fit(r.cells[i], inner, kBodySize, 7, true) : sizes[i];
      pdf.text(x + 3, y + 13.5, pdf.elide(r.cells[i], inner, size, name), size, name);
    }
    x += kColumns[i].width;
  }
  pdf.line(kMargin, y + r.height, kA4Width - kMargin, y + r.height, 0.3);
}

}  // namespace

Result<std::string> roster_pdf(Store& store, const std::string& shelter_name, const std::string& lang,
                               const std::string& printed_at) {
  const Words& w = words(lang);
  PersonQuery q;
  q.shelter_id = store.shelter_id();
  q.limit = 1000000;
  auto people = store.persons(q);
  if (!people) return people.error().context("roster");
  auto pdf = Pdf::open(w.roster_title, lang != "ja");
  if (!pdf) return pdf.error().context("roster");
  Pdf& p = **pdf;

  // Households in the order their first member comes in the store's
  // reading order; a person without a household is one of their own.
  std::vector<Household> households;
  std::map<std::string, size_t> index;
  int present = 0, out = 0;
  for (const PersonRecord& r : *people) {
    if (r.presence != Presence::Present && r.presence != Presence::Out) continue;
    (r.presence == Presence::Present ? present : out)++;
    const std::string key = r.household_id.empty() ? "person:" + r.id : r.household_id;
    auto [it, added] = index.emplace(key, households.size());
    if (added) households.emplace_back();
    Household& h = households[it->second];
    Row row;
    row.cells[0] = std::to_string(it->second + 1) + "-" + std::to_string(h.rows.size() + 1);
    row.cells[1] = r.info.name;
    row.cells[2] = r.info.reading;
    row.cells[3] = sex_word(w, r.info.sex);
    row.cells[4] = to_string(r.info.birth);
    row.cells[5] = w.stays[static_cast<size_t>(r.stay)];
    row.cells[7] = r.presence == Presence::Present ? w.present : w.out;
    row.needs_lines = p.wrap(needs_words(w, r.info.needs, r.info.needs_other), kColumns[6].width - 5, kNeedsSize);
    row.height = std::max(kRowMin, kNeedsLine * static_cast<double>(row.needs_lines.size()) + 7);
    h.height += row.height;
    h.rows.push_back(std::move(row));
  }

  std::vector<double> sizes(std::size(kColumns), kBodySize);
  for (const Household& h : households)
    for (const Row& r : h.rows)
      for (size_t i = 0; i < sizes.size(); ++i)
        sizes[i] = std::min(sizes[i], p.fit(r.cells[i], kColumns[i].width - 5, kBodySize, 7));

  // Pages: a household stays on one page when it fits on one.
  struct Placed {
    const Household* h;
    size_t first, end;
  };
  std::vector<std::vector<Placed>> pages(1);
  const double room = kBottom - kTableTop - kHeaderRow;
  double used = 0;
  for (const Household& h : households) {
    if (used + h.height > room && used > 0 && h.height <= room) {
      pages.emplace_back();
      used = 0;
    }
    size_t first = 0;
    for (size_t i = 0; i < h.rows.size(); ++i) {
      if (used + h.rows[i].height > room && used > 0) {
        pages.back().push_back({&h, first, i});
        pages.emplace_back();
        used = 0;
        first = i;
      }
      used += h.rows[i].height;
    }
    pages.back().push_back({&h, first, h.rows.size()});
  }

  const std::string printed = printed_at.empty() ? local_now() : printed_at;
  const std::string summary = std::string(w.summary_present) + " " + std::to_string(present) + "    " + w.summary_out +
                              " " + std::to_string(out) + "    " + w.summary_households + " " +
                              std::to_string(households.size());
  const int count = static_cast<int>(pages.size());
  for (int n = 0; n < count; ++n) {
    if (n) p.next_page();
    header(p, w, shelter_name, printed, n + 1, count, summary);
    table_head(p, w, kTableTop);
    double y = kTableTop + kHeaderRow;
    if (households.empty()) p.text(kMargin + 6, y + 20, w.nobody, 11);
    bool shade = false;
    for (const Placed& part : pages[static_cast<size_t>(n)]) {
      // Households in alternating shades, a heavier line between them.
      double h = 0;
      for (size_t i = part.first; i < part.end; ++i) h += part.h->rows[i].height;
      if (shade) p.fill_rect(kMargin, y, kA4Width - 2 * kMargin, h, 0.93);
      shade = !shade;
      p.line(kMargin, y, kA4Width - kMargin, y, 1.2);
      for (size_t i = part.first; i < part.end; ++i) {
        draw_row(p, part.h->rows[i], y, sizes);
        y += part.h->rows[i].height;
      }
    }
    p.line(kMargin, y, kA4Width - kMargin, y, 1.2);
    double x = kMargin;
    for (size_t i = 0; i + 1 < std::size(kColumns); ++i) {
      x += kColumns[i].width;
      p.line(x, kTableTop, x, y, 0.3);
    }
    p.rect(kMargin, kTableTop, kA4Width - 2 * kMargin, y - kTableTop, 1.0);
  }
  return p.finish().context("roster");
}

}  // namespace shelter::kiosk::paper
