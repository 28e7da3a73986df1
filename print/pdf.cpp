#include "print/pdf.hpp"

#include <cairo-ft.h>
#include <cairo-pdf.h>
#include <fontconfig/fontconfig.h>
#include <ft2build.h>
#include FT_FREETYPE_H

#include <ctime>
#include <mutex>
#include <optional>

namespace shelter::print {

namespace {

// The faces text is drawn with, in order of preference, regular and bold:
// BIZ UD Gothic (the kiosk's face), then Noto Sans CJK JP (𠮷, Hangul),
// then DejaVu Sans (Latin with diacritics, symbols); last BIZ UDPGothic,
// its proportional cut, which English pages try first. Loaded once and
// kept for the life of the process: cairo may hold a face after a page is
// done.
constexpr const char* kFamilies[] = {"BIZ UDGothic", "Noto Sans CJK JP", "DejaVu Sans", "BIZ UDPGothic"};
struct FontSet {
  FT_Library lib = nullptr;
  std::vector<FT_Face> ft[2];
  std::vector<cairo_font_face_t*> cairo[2];
  int proportional[2] = {-1, -1};  // index of BIZ UDPGothic, -1: not installed
  std::string error;
};

std::optional<std::pair<std::string, int>> find_font(const char* family, bool bold) {
  FcPattern* pat = FcPatternCreate();
  FcPatternAddString(pat, FC_FAMILY, reinterpret_cast<const FcChar8*>(family));
  FcPatternAddInteger(pat, FC_WEIGHT, bold ? FC_WEIGHT_BOLD : FC_WEIGHT_REGULAR);
  FcConfigSubstitute(nullptr, pat, FcMatchPattern);
  FcDefaultSubstitute(pat);
  FcResult res;
  FcPattern* match = FcFontMatch(nullptr, pat, &res);
  FcPatternDestroy(pat);
  std::optional<std::pair<std::string, int>> out;
  if (!match) return out;
  // fontconfig always answers with some font: only the family asked for counts.
  bool same = false;
  FcChar8* name = nullptr;
  for (int i = 0; FcPatternGetString(match, FC_FAMILY, i, &name) == FcResultMatch; ++i)
    if (std::string(reinterpret_cast<char*>(name)) == family) same = true;
  FcChar8* file = nullptr;
  int index = 0;
  if (same && FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch) {
    FcPatternGetInteger(match, FC_INDEX, 0, &index);
    out = std::make_pair(std::string(reinterpret_cast<char*>(file)), index);
  }
  FcPatternDestroy(match);
  return out;
}

FontSet& fonts() {
  static FontSet set;
  static std::once_flag once;
  std::call_once(once, [] {
    if (FT_Init_FreeType(&set.lib) != 0) {
      set.error = "FreeType did not start";
      return;
    }
    for (int bold = 0; bold < 2; ++bold)
      for (const char* family : kFamilies) {
        auto found = find_font(family, bold != 0);
        FT_Face face = nullptr;
        if (!found || FT_New_Face(set.lib, found->first.c_str(), found->second, &face) != 0) {
          if (set.ft[bold].empty()) {
            set.error = "the font BIZ UD Gothic is not installed (Debian package fonts-morisawa-bizud-gothic)";
            return;
          }
          continue;  // a fallback face is welcome, not required
        }
        if (family == kFamilies[3]) set.proportional[bold] = static_cast<int>(set.ft[bold].size());
        set.ft[bold].push_back(face);
        set.cairo[bold].push_back(cairo_ft_font_face_create_for_ft_face(face, 0));
      }
  });
  return set;
}

// One mutex for every PDF: FreeType faces are not for two threads at once.
std::mutex& draw_mutex() {
  static std::mutex m;
  return m;
}

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// UTF-8 into (code point, byte offset, byte length); bad bytes are U+FFFD.
struct Char {
  std::uint32_t cp;
  size_t at, len;
};
std::vector<Char> chars(const std::string& s) {
  std::vector<Char> out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || i + n > s.size()) {
      out.push_back({0xFFFD, i, 1});
      ++i;
      continue;
    }
    std::uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back({cp, i, n});
    i += n;
  }
  return out;
}

// `s` cut into runs that one face can draw each.
std::vector<std::pair<size_t, std::string>> runs(const std::string& s, bool bold, bool proportional) {
  const FontSet& set = fonts();
  const auto& faces = set.ft[bold ? 1 : 0];
  const int first = proportional ? set.proportional[bold ? 1 : 0] : -1;
  std::vector<size_t> order;
  if (first >= 0) order.push_back(static_cast<size_t>(first));
  for (size_t f = 0; f < faces.size(); ++f)
    if (static_cast<int>(f) != set.proportional[bold ? 1 : 0]) order.push_back(f);
  std::vector<std::pair<size_t, std::string>> out;
  for (const Char& ch : chars(s)) {
    size_t face = order.front();
    if (ch.cp > ' ')
      for (size_t f : order)
        if (FT_Get_Char_Index(faces[f], ch.cp) != 0) {
          face = f;
          break;
        }
    const std::string piece = ch.cp == 0xFFFD && ch.len == 1 ? std::string("\xEF\xBF\xBD") : s.substr(ch.at, ch.len);
    if (out.empty() || out.back().first != face)
      out.emplace_back(face, piece);
    else
      out.back().second += piece;
  }
  return out;
}

}  // namespace

std::string local_now(const char* strftime_format) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  return std::string(buf, std::strftime(buf, sizeof buf, strftime_format, &tm));
}

Result<std::unique_ptr<Pdf>> Pdf::open(const std::string& title, bool proportional) {
  const FontSet& f = fonts();
  if (!f.error.empty()) return fail(f.error);
  std::unique_ptr<Pdf> pdf(new Pdf());
  pdf->proportional_ = proportional;
  pdf->surface_ = cairo_pdf_surface_create_for_stream(append, &pdf->bytes_, kA4Width, kA4Height);
  cairo_pdf_surface_set_metadata(pdf->surface_, CAIRO_PDF_METADATA_TITLE, title.c_str());
  cairo_pdf_surface_set_metadata(pdf->surface_, CAIRO_PDF_METADATA_CREATOR, "Shelter Check-in");
  pdf->cr_ = cairo_create(pdf->surface_);
  if (cairo_status(pdf->cr_) != CAIRO_STATUS_SUCCESS)
    return fail(std::string("cairo: ") + cairo_status_to_string(cairo_status(pdf->cr_)));
  cairo_set_source_rgb(pdf->cr_, 0, 0, 0);
  return pdf;
}

Pdf::~Pdf() {
  if (cr_) cairo_destroy(cr_);
  if (surface_) cairo_surface_destroy(surface_);
}

void Pdf::use_face(size_t face, double size, bool bold) {
  cairo_set_font_face(cr_, fonts().cairo[bold ? 1 : 0][face]);
  cairo_set_font_size(cr_, size);
}

double Pdf::width(const std::string& s, double size, bool bold) {
  std::lock_guard lock(draw_mutex());
  double w = 0;
  for (const auto& [face, run] : runs(s, bold, proportional_)) {
    use_face(face, size, bold);
    cairo_text_extents_t e;
    cairo_text_extents(cr_, run.c_str(), &e);
    w += e.x_advance;
  }
  return w;
}

void Pdf::text(double x, double y, const std::string& s, double size, bool bold, Align align) {
  if (align != Align::Left) x -= width(s, size, bold) * (align == Align::Centre ? 0.5 : 1.0);
  std::lock_guard lock(draw_mutex());
  cairo_move_to(cr_, x, y);
  for (const auto& [face, run] : runs(s, bold, proportional_)) {
    use_face(face, size, bold);
    cairo_show_text(cr_, run.c_str());  // moves the current point to the run's end
  }
  cairo_new_path(cr_);
}

double Pdf::fit(const std::string& s, double w, double size, double min_size, bool bold) {
  const double natural = width(s, size, bold);
  if (natural <= w) return size;
  return std::max(min_size, size * w / natural * 0.97);  // a little room for hinting
}

std::vector<std::string> Pdf::wrap(const std::string& s, double w, double size, bool bold) {
  std::vector<std::string> lines;
  const auto cs = chars(s);
  size_t start = 0;  // byte offset of the line being built
  // Japanese punctuation never starts a line (禁則): it hangs at the end of
  // the line before.
  auto closing = [](std::uint32_t cp) {
    return cp == 0x3001 || cp == 0x3002 || cp == 0xFF09 || cp == 0x300D || cp == 0xFF0C || cp == 0xFF0E;
  };
  while (start < s.size()) {
    size_t end = start, brk = std::string::npos;  // brk: after the last break opportunity
    for (const Char& ch : cs) {
      if (ch.at < start) continue;
      const size_t next = ch.at + ch.len;
      if (width(s.substr(start, next - start), size, bold) > w && end > start && !closing(ch.cp)) break;
      end = next;
      // A "、" is a break only near the line's end: Japanese may break
      // between any two characters, and a half-empty line reads worse.
      if (ch.cp == ' ' || ch.cp == ',' ||
          (ch.cp == 0x3001 && width(s.substr(start, next - start), size, bold) > 0.8 * w))
        brk = next;
    }
    if (end < s.size() && brk != std::string::npos && brk > start) end = brk;
    std::string line = s.substr(start, end - start);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    lines.push_back(line);
    start = end;
    while (start < s.size() && s[start] == ' ') ++start;
  }
  return lines;
}

std::string Pdf::elide(const std::string& s, double w, double size, bool bold) {
  if (width(s, size, bold) <= w) return s;
  std::string out;
  for (const Char& ch : chars(s)) {
    const std::string more = s.substr(0, ch.at + ch.len);
    if (width(more + "…", size, bold) > w) break;
    out = more;
  }
  return out + "…";
}

void Pdf::rect(double x, double y, double w, double h, double line) {
  cairo_set_line_width(cr_, line);
  cairo_rectangle(cr_, x, y, w, h);
  cairo_stroke(cr_);
}

void Pdf::fill_rect(double x, double y, double w, double h, double grey) {
  cairo_set_source_rgb(cr_, grey, grey, grey);
  cairo_rectangle(cr_, x, y, w, h);
  cairo_fill(cr_);
  cairo_set_source_rgb(cr_, 0, 0, 0);
}

void Pdf::line(double x0, double y0, double x1, double y1, double width, bool dashed) {
  const double dash[] = {4, 3};
  cairo_set_dash(cr_, dash, dashed ? 2 : 0, 0);
  cairo_set_line_width(cr_, width);
  cairo_move_to(cr_, x0, y0);
  cairo_line_to(cr_, x1, y1);
  cairo_stroke(cr_);
  cairo_set_dash(cr_, dash, 0, 0);
}

void Pdf::tick_box(double x, double y, double side) {
  rect(x, y, side, side, 1.0);
}

void Pdf::qr(const qrimage::QrMatrix& m, double x, double y, double side) {
  constexpr int kQuiet = 4;
  const double module = side / (m.size + 2 * kQuiet);
  cairo_set_source_rgb(cr_, 1, 1, 1);
  cairo_rectangle(cr_, x, y, side, side);
  cairo_fill(cr_);
  cairo_set_source_rgb(cr_, 0, 0, 0);
  // Each row's runs of dark modules as rectangles of one path, filled once:
  // a rasteriser then sees one shape and leaves no hairline between modules.
  for (int r = 0; r < m.size; ++r)
    for (int c = 0; c < m.size;) {
      if (!m.dark(c, r)) {
        ++c;
        continue;
      }
      int end = c;
      while (end < m.size && m.dark(end, r)) ++end;
      cairo_rectangle(cr_, x + (c + kQuiet) * module, y + (r + kQuiet) * module, (end - c) * module, module);
      c = end;
    }
  cairo_set_fill_rule(cr_, CAIRO_FILL_RULE_WINDING);
  cairo_fill(cr_);
}

void Pdf::next_page() {
  std::lock_guard lock(draw_mutex());
  cairo_show_page(cr_);
}

Result<std::string> Pdf::finish() {
  // Finishing embeds the font subsets: FreeType's faces again.
  std::lock_guard lock(draw_mutex());
  cairo_show_page(cr_);
  cairo_destroy(cr_);
  cr_ = nullptr;
  cairo_surface_finish(surface_);
  const cairo_status_t st = cairo_surface_status(surface_);
  cairo_surface_destroy(surface_);
  surface_ = nullptr;
  if (st != CAIRO_STATUS_SUCCESS) return fail(std::string("cairo: ") + cairo_status_to_string(st));
  return std::move(bytes_);
}

}  // namespace shelter::print
