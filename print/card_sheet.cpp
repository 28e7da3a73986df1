// The household card sheets: an A4 page per household, or ten cards to cut
// out per page. The words follow the kiosk's own (assets/i18n welcome.*),
// so the card says what the screen says.
#include "print/card_sheet.hpp"

#include "core/qr_image.hpp"
#include "print/pdf.hpp"

namespace shelter::print {

namespace {

constexpr double kWidth = kA4Width - 2 * kMargin;

struct Howto {
  const char* heading;
  const char* text;
};
const Howto kHowto[] = {
    {"日本語",
     "避難所に着いたら、受付の端末のカメラに、このカードのQRコードを20cmほど離してかざしてください。世帯の全員の名前が"
     "画面に出ます。一緒に来た人を選んで、受付を終えてください。カードは大切に保管し、避難するときに持ってきてください"
     "。"},
    {"やさしい日本語",
     "ひなんじょに ついたら、うけつけの きかいの カメラに この カードの QRコードを みせて ください。かぞくの なまえが "
     "でます。いっしょに きた ひとを えらんで ください。カードは なくさないで ください。にげる ときに もって きて "
     "ください。"},
    {"English",
     "At the shelter, hold the QR code of this card up to the camera of the check-in kiosk, about 20 cm away. Everyone "
     "in your household is listed: choose who came with you and confirm. Keep this card safe and bring it when you "
     "evacuate."},
};
const char* const kCutHowto[] = {"受付でカメラにかざしてください", "うけつけで カメラに みせて ください",
                                 "Show it to the kiosk camera"};

std::string signature_line(const qr::Signer& signer) {
  return signer
             ? "市のカード鍵で署名済み（鍵 " + signer.key_id + "） Signed with the city's card key " + signer.key_id
             : "市の署名なし：受付で内容を確かめます  Not signed by the city: the kiosk takes it as a pre-filled form";
}

void grey(Pdf& pdf, double level) {
  cairo_set_source_rgb(pdf.cr(), level, level, level);
}

// One household on one A4 page.
void a4_page(Pdf& pdf, const ResidentHousehold& hh, const qrimage::QrMatrix& qr, const qr::Signer& signer,
             const std::string& printed) {
  const double right = kMargin + kWidth;
  pdf.text(kMargin, kMargin + 22, "世帯カード", 24, true);
  pdf.text(kMargin + pdf.width("世帯カード", 24, true) + 12, kMargin + 22, "Household card", 14, true);
  std::string sub = "世帯番号 Household " + hh.label;
  if (!hh.district.empty()) sub += "　　" + hh.district;
  pdf.text(right, kMargin + 22, pdf.elide(sub, 240, 10), 10, false, Align::Right);
  pdf.line(kMargin, kMargin + 32, right, kMargin + 32, 1.2);

  // The code, large: a webcam reads it from arm's length.
  const double qr_top = kMargin + 44, qr_side = 250;
  pdf.qr(qr, kMargin - 8, qr_top, qr_side);

  // Beside it: the shelter, the address, the signature.
  const double cx = kMargin + qr_side + 8, cw = right - cx;
  double y = qr_top + 20;
  pdf.text(cx, y, "指定避難所 Assigned shelter", 9, true);
  y += 24;
  const std::string shelter = hh.shelter.empty() ? "（未定 not assigned）" : hh.shelter;
  const double size = pdf.fit(shelter, cw, 18, 11, true);
  for (const std::string& l : pdf.wrap(shelter, cw, size, true)) {
    pdf.text(cx, y, l, size, true);
    y += size + 6;
  }
  y += 10;
  if (!hh.card.address.empty()) {
    pdf.text(cx, y, "住所 Address", 9, true);
    y += 15;
    for (const std::string& l : pdf.wrap(hh.card.address, cw, 11)) {
      pdf.text(cx, y, l, 11);
      y += 15;
    }
    y += 10;
  }
  grey(pdf, 0.3);
  for (const std::string& l : pdf.wrap(signature_line(signer), cw, 8.5)) {
    pdf.text(cx, y, l, 8.5);
    y += 12;
  }
  grey(pdf, 0);

  // The members: name in kanji (as registered, byte-exact) over its kana.
  y = qr_top + qr_side + 12;
  pdf.text(kMargin, y, "世帯の人 Members (" + std::to_string(hh.card.members.size()) + ")", 10, true);
  y += 6;
  const double col_w = kWidth / 2, row_h = 30;
  const size_t rows = (hh.card.members.size() + 1) / 2;
  for (size_t i = 0; i < hh.card.members.size(); ++i) {
    const auto& info = hh.card.members[i].info;
    const double mx = kMargin + static_cast<double>(i / rows) * col_w;
    const double my = y + static_cast<double>(i % rows) * row_h;
    pdf.line(mx, my, mx + col_w - 8, my, 0.4);
    const double ns = pdf.fit(info.name, col_w - 16, 15, 9, true);
    pdf.text(mx + 4, my + 17, pdf.elide(info.name, col_w - 16, ns, true), ns, true);
    pdf.text(mx + 4, my + 27, pdf.elide(info.reading, col_w - 16, 8.5), 8.5);
  }
  y += static_cast<double>(rows) * row_h + 12;

  // How to use it, in three kinds of words.
  for (const Howto& h : kHowto) {
    const auto lines = pdf.wrap(h.text, kWidth - 16, 9.5);
    const double box_h = 22 + 13 * static_cast<double>(lines.size());
    pdf.rect(kMargin, y, kWidth, box_h, 0.6);
    pdf.text(kMargin + 8, y + 14, h.heading, 10, true);
    double ly = y + 28;
    for (const std::string& l : lines) {
      pdf.text(kMargin + 8, ly, l, 9.5);
      ly += 13;
    }
    y += box_h + 6;
  }

  grey(pdf, 0.3);
  pdf.text(kMargin, kA4Height - kMargin + 8,
           "個人情報が入っています。大切に保管してください。 Personal data: keep this card safe.", 8);
  pdf.text(right, kA4Height - kMargin + 8, "印刷 Printed " + printed, 8, false, Align::Right);
  grey(pdf, 0);
}

// Credit-card size (ISO/IEC 7810 ID-1), 2 across and 5 down, centred.
constexpr double kCardW = 85.6 / 25.4 * 72, kCardH = 53.98 / 25.4 * 72;
constexpr double kGridX = (kA4Width - 2 * kCardW) / 2, kGridY = (kA4Height - 5 * kCardH) / 2;

constexpr double kCutQrSide = 142;  // points, quiet zone included

void cut_card(Pdf& pdf, const ResidentHousehold& hh, const qrimage::QrMatrix& qr, const qr::Signer& signer,
              CardCell cell) {
  const double qr_side = kCutQrSide;
  // The quiet zone is the card's white margin on the left.
  pdf.qr(qr, cell.x + 1, cell.y + (cell.h - qr_side) / 2, qr_side);
  const double cx = cell.x + qr_side + 2, cw = cell.x + cell.w - 7 - cx;
  double y = cell.y + 13;
  pdf.text(cx, y, "指定避難所 Shelter", 5.5, true);
  grey(pdf, 0.35);
  pdf.text(cx + cw, y, "No." + hh.label, 5, false, Align::Right);
  grey(pdf, 0);
  y += 11;
  const std::string shelter = hh.shelter.empty() ? "（未定）" : hh.shelter;
  const double ss = pdf.fit(shelter, cw, 8.5, 6, true);
  pdf.text(cx, y, pdf.elide(shelter, cw, ss, true), ss, true);
  y += 5;
  pdf.line(cx, y, cx + cw, y, 0.4);

  // Names down to the instructions; what does not fit is counted.
  const double howto_top = cell.y + cell.h - 30, step = 17;
  const auto& members = hh.card.members;
  size_t shown = static_cast<size_t>((howto_top - y - 2) / step);
  if (shown < members.size() && shown > 0) --shown;  // room for the "+N" line
  shown = std::min(shown, members.size());
  for (size_t i = 0; i < shown; ++i) {
    const auto& info = members[i].info;
    const double ns = pdf.fit(info.name, cw, 8, 6, true);
    pdf.text(cx, y + 10, pdf.elide(info.name, cw, ns, true), ns, true);
    pdf.text(cx, y + 16, pdf.elide(info.reading, cw, 5), 5);
    y += step;
  }
  if (shown < members.size()) {
    const std::string more =
        "ほか " + std::to_string(members.size() - shown) + " 人 +" + std::to_string(members.size() - shown) + " more";
    pdf.text(cx, y + 9, more, 6, true);
  }

  double hy = howto_top + 7;
  for (const char* line : kCutHowto) {
    pdf.text(cx, hy, line, pdf.fit(line, cw, 5.2, 4.2));
    hy += 7;
  }
  grey(pdf, 0.35);
  pdf.text(cx, hy, signer ? "市の署名あり signed" : "署名なし unsigned", 4.5);
  grey(pdf, 0);
}

void cut_marks(Pdf& pdf) {
  // Hairline borders to cut along, and marks in the margin where the cuts
  // start, as a print shop's guillotine wants them.
  grey(pdf, 0.6);
  for (int i = 0; i < kCutCardsPerPage; ++i) {
    const CardCell c = cut_card_cell(i);
    pdf.rect(c.x, c.y, c.w, c.h, 0.25);
  }
  grey(pdf, 0);
  for (int col = 0; col <= 2; ++col) {
    const double x = kGridX + col * kCardW;
    pdf.line(x, kGridY - 16, x, kGridY - 4, 0.5);
    pdf.line(x, kGridY + 5 * kCardH + 4, x, kGridY + 5 * kCardH + 16, 0.5);
  }
  for (int row = 0; row <= 5; ++row) {
    const double y = kGridY + row * kCardH;
    pdf.line(kGridX - 16, y, kGridX - 4, y, 0.5);
    pdf.line(kGridX + 2 * kCardW + 4, y, kGridX + 2 * kCardW + 16, y, 0.5);
  }
}

}  // namespace

double cut_card_module_mm(int modules) {
  return kCutQrSide / 72 * 25.4 / (modules + 8);
}

CardCell cut_card_cell(int index) {
  return {kGridX + (index % 2) * kCardW, kGridY + (index / 2) * kCardH, kCardW, kCardH};
}

Result<std::string> card_sheets_pdf(const std::vector<ResidentHousehold>& households, const qr::Signer& signer,
                                    SheetLayout layout) {
  if (households.empty()) return fail("card sheets: no households");
  std::vector<qrimage::QrMatrix> codes;
  for (const auto& hh : households) {
    auto payload = qr::encode_card(hh.card, signer);
    if (!payload) return payload.error().context("household " + hh.label);
    auto matrix = qrimage::encode(*payload);
    if (!matrix) return matrix.error().context("household " + hh.label);
    codes.push_back(std::move(*matrix));
  }
  auto opened = Pdf::open("世帯カード Household cards");
  if (!opened) return opened.error().context("card sheets");
  Pdf& pdf = **opened;
  const std::string printed = local_now("%Y-%m-%d");
  if (layout == SheetLayout::A4) {
    for (size_t i = 0; i < households.size(); ++i) {
      if (i > 0) pdf.next_page();
      a4_page(pdf, households[i], codes[i], signer, printed);
    }
  } else {
    const size_t pages = (households.size() + kCutCardsPerPage - 1) / kCutCardsPerPage;
    for (size_t i = 0; i < households.size(); ++i) {
      const int at = static_cast<int>(i % kCutCardsPerPage);
      if (at == 0) {
        if (i > 0) pdf.next_page();
        cut_marks(pdf);
        grey(pdf, 0.3);
        pdf.text(kGridX, 14,
                 "世帯カード（線で切り取り）Household cards: cut along the lines   " + std::to_string(i / 10 + 1) +
                     " / " + std::to_string(pages) + "   " + printed,
                 7);
        pdf.text(kGridX, kA4Height - 8, signature_line(signer), 6.5);
        grey(pdf, 0);
      }
      cut_card(pdf, households[i], codes[i], signer, cut_card_cell(at));
    }
  }
  return pdf.finish().context("card sheets");
}

}  // namespace shelter::print
