#pragma once
// Fonts for every language the kiosk speaks, loaded lazily by glyph.
//
// Dear ImGui 1.86 as Debian builds it stores characters in 16 bits, so a
// name with a character outside the BMP (𠮷, U+20BB7) would show as '?'.
// We keep such names byte-exact in data and, for display only, map each
// such character to a private-use code point whose glyph we rasterise
// ourselves into the font atlas. Glyphs are added as text is first seen
// (a new name), and the atlas is rebuilt between frames.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

struct ImFont;

namespace shelter::ui {

class Fonts {
 public:
  // Font files, first first: a glyph comes from the first file that has it.
  // A missing file is skipped (the kiosk still runs, with fewer glyphs).
  struct Source {
    std::string path;
    int index = 0;  // face within a .ttc collection
  };
  static std::vector<Source> default_sources();

  // Loads the files and seeds the glyph set with `seed` text (translations,
  // keyboard characters). Returns the font files it could not read.
  std::vector<std::string> load(const std::vector<Source>& sources, float base_pixels, std::string_view seed);

  // The text to hand to ImGui: non-BMP characters replaced by their private
  // code points. Notes characters the atlas lacks, for the next rebuild.
  std::string display(std::string_view utf8);

  bool needs_rebuild() const { return !pending_.empty(); }
  // Rebuilds the ImGui font atlas (call between frames, then recreate the
  // renderer's font texture).
  void rebuild();

  ImFont* regular() const { return regular_; }
  ImFont* large() const { return large_; }
  float base_pixels() const { return base_; }

 private:
  struct Face;
  bool any_face_has(std::uint32_t cp) const;
  void build_atlas();

  std::vector<Face*> faces_;                      // owned; the atlas points into their bytes
  std::set<std::uint32_t> glyphs_;                // BMP code points in the atlas
  std::map<std::uint32_t, std::uint16_t> extra_;  // non-BMP code point -> private-use code point
  std::set<std::uint32_t> pending_;               // seen but not yet in the atlas
  std::set<std::uint32_t> missing_;               // no font has it: not asked for again
  std::vector<std::uint16_t> ranges_;             // kept alive for ImGui
  float base_ = 28;
  ImFont* regular_ = nullptr;
  ImFont* large_ = nullptr;

 public:
  Fonts() = default;
  ~Fonts();
  Fonts(const Fonts&) = delete;
  Fonts& operator=(const Fonts&) = delete;
};

// UTF-8 helpers for the UI (core/utf8.hpp, header only, has the rest).
std::vector<std::uint32_t> utf8_code_points(std::string_view s);
// Drops the last UTF-8 character.
void pop_utf8(std::string& s);

}  // namespace shelter::ui
