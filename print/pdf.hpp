#pragma once
// Drawing paper pages with cairo: an A4 PDF written into memory, text in
// BIZ UD Gothic with Noto Sans CJK and DejaVu for the characters it lacks
// (𠮷), boxes, tick boxes and QR codes drawn module by module.
#include <cairo.h>

#include <memory>
#include <string>
#include <vector>

#include "core/qr_image.hpp"
#include "core/result.hpp"

namespace shelter::print {

inline constexpr double kA4Width = 595.276;  // points (1/72 inch)
inline constexpr double kA4Height = 841.890;
inline constexpr double kMargin = 36;  // 12.7 mm on each side

enum class Align { Left, Centre, Right };

class Pdf {
 public:
  // A PDF of A4 pages; fails when BIZ UD Gothic is not installed.
  // `proportional`: Latin letters in BIZ UDPGothic (English pages), not
  // BIZ UD Gothic's fixed widths.
  static Result<std::unique_ptr<Pdf>> open(const std::string& title, bool proportional = false);
  ~Pdf();
  Pdf(const Pdf&) = delete;
  Pdf& operator=(const Pdf&) = delete;

  cairo_t* cr() { return cr_; }
  // Width of `s` in points at `size`.
  double width(const std::string& s, double size, bool bold = false);
  // Draws `s` with its baseline at y; x is its left, centre or right edge.
  void text(double x, double y, const std::string& s, double size, bool bold = false, Align align = Align::Left);
  // The largest size from `size` down to `min_size` at which `s` fits `w`.
  double fit(const std::string& s, double w, double size, double min_size, bool bold = false);
  // Lines of at most `w`, broken at spaces or "、" where there are some,
  // between any two characters where not (Japanese).
  std::vector<std::string> wrap(const std::string& s, double w, double size, bool bold = false);
  // `s` cut to fit `w`, ending in "…" when cut.
  std::string elide(const std::string& s, double w, double size, bool bold = false);

  void rect(double x, double y, double w, double h, double line = 0.8);
  void fill_rect(double x, double y, double w, double h, double grey);
  void line(double x0, double y0, double x1, double y1, double width = 0.8, bool dashed = false);
  // A square to tick, `side` points wide.
  void tick_box(double x, double y, double side);
  // A QR code, `side` points wide including its 4-module quiet zone, every
  // dark module an exact square of one path (no seams between modules).
  void qr(const qrimage::QrMatrix& m, double x, double y, double side);

  void next_page();
  // Ends the document: the PDF file's bytes.
  Result<std::string> finish();

 private:
  Pdf() = default;
  cairo_surface_t* surface_ = nullptr;
  cairo_t* cr_ = nullptr;
  std::string bytes_;
  bool proportional_ = false;
  void use_face(size_t face, double size, bool bold);
};

// Local date and time, as printed on the pages ("2026-12-04 13:05").
std::string local_now(const char* strftime_format = "%Y-%m-%d %H:%M");

}  // namespace shelter::print
