#include "kiosk/ui/fonts.hpp"

#include <imgui.h>
#include <stb/stb_truetype.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "core/utf8.hpp"

namespace shelter::ui {

// A font file, memory-mapped: a 19 MB CJK collection costs only the pages
// of the glyphs actually drawn, and those pages are the kernel's to drop.
struct Fonts::Face {
  std::string path;
  int index = 0;
  unsigned char* data = nullptr;
  size_t size = 0;
  stbtt_fontinfo info{};
  ~Face() {
    if (data) ::munmap(data, size);
  }
};

namespace {
// em size / pixel height of a face: fonts differ (Noto CJK's line box is much
// taller than its em), so merged faces get sizes that make their ems equal.
float em_per_height(const stbtt_fontinfo& f) {
  return stbtt_ScaleForPixelHeight(&f, 1.0f) / stbtt_ScaleForMappingEmToPixels(&f, 1.0f);
}
constexpr std::uint16_t kPrivateUseFirst = 0xE000;

// ImGui 1.86 copies font data it does not own (19 MB per use of the CJK
// collection, once per size). We hand it our mapped files as "owned" and
// teach its allocator not to free them.
std::vector<const void*>& mapped_fonts() {
  static std::vector<const void*> m;
  return m;
}
void* imgui_alloc(size_t size, void*) {
  return std::malloc(size);
}
void imgui_free(void* p, void*) {
  const auto& m = mapped_fonts();
  if (std::find(m.begin(), m.end(), p) != m.end()) return;
  std::free(p);
}
constexpr std::uint16_t kPrivateUseLast = 0xF8FF;
}  // namespace

std::vector<std::uint32_t> utf8_code_points(std::string_view s) {
  std::vector<std::uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::uint32_t cp;
    size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      n = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      n = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      n = 4;
    } else {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    if (i + n > s.size()) {
      out.push_back(0xFFFD);
      break;
    }
    bool ok = true;
    for (size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    out.push_back(ok ? cp : 0xFFFD);
    i += ok ? n : 1;
  }
  return out;
}

void pop_utf8(std::string& s) {
  while (!s.empty()) {
    const auto c = static_cast<unsigned char>(s.back());
    s.pop_back();
    if ((c & 0xC0) != 0x80) break;
  }
}

std::vector<Fonts::Source> Fonts::default_sources() {
  return {{"/usr/share/fonts/truetype/bizud-gothic/BIZUDGothic-Regular.ttf", 0},
          {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0},
          {"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0}};
}

Fonts::~Fonts() {
  for (auto* f : faces_) {
    auto& m = mapped_fonts();
    m.erase(std::remove(m.begin(), m.end(), static_cast<const void*>(f->data)), m.end());
    delete f;
  }
}

std::vector<std::string> Fonts::load(const std::vector<Source>& sources, float base_pixels, std::string_view seed) {
  std::vector<std::string> failed;
  base_ = base_pixels;
  ImGui::SetAllocatorFunctions(imgui_alloc, imgui_free, nullptr);
  for (const auto& s : sources) {
    auto face = std::make_unique<Face>();
    face->path = s.path;
    face->index = s.index;
    const int fd = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd >= 0 && ::fstat(fd, &st) == 0 && st.st_size > 0) {
      void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        face->data = static_cast<unsigned char*>(p);
        face->size = static_cast<size_t>(st.st_size);
      }
    }
    if (fd >= 0) ::close(fd);
    const int offset = face->data ? stbtt_GetFontOffsetForIndex(face->data, s.index) : -1;
    if (offset < 0 || !stbtt_InitFont(&face->info, face->data, offset)) {
      failed.push_back(s.path);
      continue;
    }
    mapped_fonts().push_back(face->data);
    faces_.push_back(face.release());
  }
  // Always present: printable ASCII, so that the UI is usable whatever else fails.
  for (std::uint32_t c = 0x20; c < 0x7F; ++c) pending_.insert(c);
  pending_.insert(0x2022);  // • for PIN dots
  display(seed);
  rebuild();
  return failed;
}

bool Fonts::any_face_has(std::uint32_t cp) const {
  for (const auto* f : faces_)
    if (stbtt_FindGlyphIndex(&f->info, static_cast<int>(cp)) != 0) return true;
  return false;
}

std::string Fonts::display(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (std::uint32_t cp : utf8_code_points(utf8)) {
    if (cp < 0x20) continue;
    if (cp <= 0xFFFF) {
      if (!glyphs_.count(cp) && !missing_.count(cp)) pending_.insert(cp);
      utf8_append(static_cast<char32_t>(cp), out);
      continue;
    }
    auto it = extra_.find(cp);
    if (it != extra_.end()) {
      utf8_append(static_cast<char32_t>(it->second), out);
    } else {
      if (!missing_.count(cp)) pending_.insert(cp);
      utf8_append(static_cast<char32_t>(0xFFFD), out);  // until the next frame, after the rebuild
    }
  }
  return out;
}

void Fonts::rebuild() {
  for (std::uint32_t cp : pending_) {
    if (!any_face_has(cp)) {
      missing_.insert(cp);
      continue;
    }
    if (cp <= 0xFFFF) {
      glyphs_.insert(cp);
    } else if (!extra_.count(cp)) {
      const auto next = static_cast<std::uint16_t>(kPrivateUseFirst + extra_.size());
      if (next > kPrivateUseLast) {
        missing_.insert(cp);
        continue;
      }
      extra_[cp] = next;
    }
  }
  pending_.clear();
  build_atlas();
}

void Fonts::build_atlas() {
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  ranges_.clear();
  for (std::uint32_t cp : glyphs_) {
    // Consecutive code points share one range.
    if (!ranges_.empty() && ranges_.back() + 1u == cp) {
      ranges_.back() = static_cast<std::uint16_t>(cp);
    } else {
      ranges_.push_back(static_cast<std::uint16_t>(cp));
      ranges_.push_back(static_cast<std::uint16_t>(cp));
    }
  }
  ranges_.push_back(0);
  constexpr int kSizes = 2;
  const float sizes[kSizes] = {base_, base_ * 1.45f};
  ImFont* made[kSizes] = {nullptr, nullptr};
  for (int s = 0; s < kSizes; ++s) {
    bool first = true;
    for (auto* face : faces_) {
      ImFontConfig cfg;
      cfg.FontDataOwnedByAtlas = true;  // not copied, and never freed: see imgui_free
      cfg.FontNo = face->index;
      cfg.MergeMode = !first;
      cfg.OversampleH = 1;  // large text at 1:1 pixels; halves the atlas
      cfg.PixelSnapH = true;
      const float size = sizes[s] * em_per_height(faces_.front()->info) / em_per_height(face->info);
      ImFont* f = io.Fonts->AddFontFromMemoryTTF(face->data, static_cast<int>(face->size), size, &cfg, ranges_.data());
      if (first) made[s] = f;
      first = false;
    }
    if (faces_.empty()) {
      ImFontConfig cfg;
      cfg.SizePixels = sizes[s];
      made[s] = io.Fonts->AddFontDefault(&cfg);
    }
  }
  // Characters outside the BMP: custom glyphs, rasterised below.
  struct Pending {
    int rect;
    const Face* face;
    std::uint32_t cp;
    float scale;
    int x0, y0;
  };
  std::vector<Pending> custom;
  for (int s = 0; s < kSizes && !faces_.empty(); ++s) {
    for (auto [cp, pua] : extra_) {
      const Face* face = nullptr;
      for (const auto* f : faces_)
        if (stbtt_FindGlyphIndex(&f->info, static_cast<int>(cp))) {
          face = f;
          break;
        }
      if (!face) continue;
      const float scale = stbtt_ScaleForPixelHeight(
          &face->info, sizes[s] * em_per_height(faces_.front()->info) / em_per_height(face->info));
      int x0, y0, x1, y1, advance, lsb;
      stbtt_GetCodepointBitmapBox(&face->info, static_cast<int>(cp), scale, scale, &x0, &y0, &x1, &y1);
      stbtt_GetCodepointHMetrics(&face->info, static_cast<int>(cp), &advance, &lsb);
      // Offsets are from the top of the line: the primary font's ascent.
      int ascent, descent, gap;
      stbtt_GetFontVMetrics(&faces_.front()->info, &ascent, &descent, &gap);
      const float top = static_cast<float>(ascent) * stbtt_ScaleForPixelHeight(&faces_.front()->info, sizes[s]);
      const int rect = io.Fonts->AddCustomRectFontGlyph(made[s], pua, std::max(1, x1 - x0), std::max(1, y1 - y0),
                                                        static_cast<float>(advance) * scale,
                                                        ImVec2(static_cast<float>(x0), top + static_cast<float>(y0)));
      custom.push_back({rect, face, cp, scale, x0, y0});
    }
  }
  unsigned char* pixels = nullptr;
  int width = 0, height = 0;
  io.Fonts->GetTexDataAsAlpha8(&pixels, &width, &height);
  for (const auto& c : custom) {
    const ImFontAtlasCustomRect* r = io.Fonts->GetCustomRectByIndex(c.rect);
    if (!r->IsPacked()) continue;
    stbtt_MakeCodepointBitmap(&c.face->info, pixels + r->Y * width + r->X, r->Width, r->Height, width, c.scale, c.scale,
                              static_cast<int>(c.cp));
  }
  regular_ = made[0];
  large_ = made[1];
  io.FontDefault = regular_;
}

}  // namespace shelter::ui
