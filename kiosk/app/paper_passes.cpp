// A household's passes on one sheet: every member's QR with their name
// under it, two columns and four rows a page, cut lines between them.
#include "core/qr_payload.hpp"
#include "kiosk/app/paper.hpp"
#include "kiosk/app/paper_draw.hpp"
#include "kiosk/app/paper_text.hpp"

namespace shelter::kiosk::paper {

namespace {

constexpr int kColumns = 2, kRows = 4;
constexpr double kGridTop = kMargin + 84, kGridBottom = kA4Height - kMargin;
constexpr double kNameSize = 15, kNameRoom = 26;

constexpr double kCellW = (kA4Width - 2 * kMargin) / kColumns, kCellH = (kGridBottom - kGridTop) / kRows;

}  // namespace

Box pass_cell(size_t index) {
  const size_t k = index % (kColumns * kRows);
  return {kMargin + static_cast<double>(k % kColumns) * kCellW, kGridTop + static_cast<double>(k / kColumns) * kCellH,
          kCellW, kCellH};
}

std::string paper_lang(const std::string& kiosk_lang) {
  return kiosk_lang.rfind("ja", 0) == 0 ? "ja" : "en";
}

bool known_lang(const std::string& lang) {
  return lang == "ja" || lang == "en";
}

Result<std::string> pass_sheet_pdf(const std::vector<PassEntry>& passes, const std::string& shelter_name,
                                   const std::string& lang, const std::string& date) {
  const Words& w = words(lang);
  if (passes.empty()) return fail("passes: nobody to print a pass for");
  std::vector<qrimage::QrMatrix> codes;
  for (const PassEntry& p : passes) {
    auto m = qrimage::encode(p.text);
    if (!m) return m.error().context("passes: " + p.name);
    codes.push_back(std::move(*m));
  }
  auto opened = Pdf::open(w.passes_title, lang != "ja");
  if (!opened) return opened.error().context("passes");
  Pdf& pdf = **opened;
  const double width = kA4Width - 2 * kMargin;
  const double cell_w = kCellW, cell_h = kCellH;
  const double side = std::min(cell_w - 24, cell_h - kNameRoom - 12);
  const std::string day = date.empty() ? local_now("%Y-%m-%d") : date;
  const size_t per_page = kColumns * kRows;
  for (size_t first = 0; first < passes.size(); first += per_page) {
    if (first) pdf.next_page();
    pdf.text(kMargin, kMargin + 20, w.passes_title, 22, true);
    pdf.text(kA4Width - kMargin, kMargin + 18, std::string(w.date) + " " + day, 12, false, Align::Right);
    const double size = pdf.fit(shelter_name, width, 14, 9, true);
    pdf.text(kMargin, kMargin + 42, pdf.elide(shelter_name, width, size, true), size, true);
    double y = kMargin + 60;
    for (const std::string& l : pdf.wrap(w.passes_hint, width, 10)) {
      pdf.text(kMargin, y, l, 10);
      y += 13;
    }
    const size_t end = std::min(passes.size(), first + per_page);
    const size_t rows = (end - first + kColumns - 1) / kColumns;
    // Cut lines round every cell of the page's rows.
    for (size_t r = 0; r <= rows; ++r)
      pdf.line(kMargin, kGridTop + static_cast<double>(r) * cell_h, kMargin + width,
               kGridTop + static_cast<double>(r) * cell_h, 0.5, true);
    for (int c = 0; c <= kColumns; ++c)
      pdf.line(kMargin + c * cell_w, kGridTop, kMargin + c * cell_w, kGridTop + static_cast<double>(rows) * cell_h, 0.5,
               true);
    for (size_t i = first; i < end; ++i) {
      const Box cell = pass_cell(i - first);
      const double x = cell.x, top = cell.y;
      pdf.qr(codes[i], x + (cell_w - side) / 2, top + 6, side);
      const double name_size = pdf.fit(passes[i].name, cell_w - 16, kNameSize, 9, true);
      pdf.text(x + cell_w / 2, top + 6 + side + kNameRoom - 6, pdf.elide(passes[i].name, cell_w - 16, name_size, true),
               name_size, true, Align::Centre);
    }
  }
  return pdf.finish().context("passes");
}

Result<std::vector<PassEntry>> household_passes(Store& store, const HouseholdId& household,
                                                const signing::KeyPair& key) {
  PersonQuery q;
  q.shelter_id = store.shelter_id();
  q.household_id = household;
  q.limit = 1000;
  auto people = store.persons(q);
  if (!people) return people.error().context("passes");
  std::vector<PassEntry> out;
  for (const PersonRecord& p : *people) {
    if (p.presence != Presence::Present && p.presence != Presence::Out) continue;
    qr::Pass pass{p.id, p.household_id, store.shelter_id(), today_utc()};
    auto text = qr::encode_pass(pass, qr::signer_for(key));
    if (!text) return text.error().context("passes: " + p.info.name);
    out.push_back({p.info.name, *text});
  }
  return out;
}

}  // namespace shelter::kiosk::paper
