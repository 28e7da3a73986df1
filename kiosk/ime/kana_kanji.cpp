#include "kiosk/ime/kana_kanji.hpp"

#include <anthy/anthy.h>

#include <mutex>

#include "core/utf8.hpp"

namespace shelter::ime {

namespace {

// Half-width katakana U+FF66..U+FF9D in order, as full-width.
constexpr std::u32string_view kHalfWidth =
    U"ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";
constexpr std::u32string_view kVoicable = U"カキクケコサシスセソタチツテトハヒフヘホ";
constexpr std::u32string_view kSemiVoicable = U"ハヒフヘホ";

bool is_hiragana(char32_t c) {
  return c >= 0x3041 && c <= 0x3096;
}
bool is_katakana(char32_t c) {
  return c >= 0x30A1 && c <= 0x30F6;
}

// Full-width katakana, half-width forms and their voicing marks folded in.
std::u32string widen(std::u32string_view s) {
  std::u32string out;
  for (char32_t c : s) {
    if (c >= 0xFF66 && c <= 0xFF9D) {
      out.push_back(kHalfWidth[c - 0xFF66]);
    } else if ((c == 0xFF9E || c == 0xFF9F) && !out.empty()) {
      char32_t& prev = out.back();
      if (c == 0xFF9E && prev == U'ウ')
        prev = U'ヴ';
      else if (c == 0xFF9E && kVoicable.find(prev) != std::u32string_view::npos)
        prev += 1;
      else if (c == 0xFF9F && kSemiVoicable.find(prev) != std::u32string_view::npos)
        prev += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::once_flag anthy_once;
bool anthy_ready = false;

}  // namespace

std::string to_katakana(std::string_view text) {
  std::u32string s = widen(utf8_decode(text));
  for (char32_t& c : s)
    if (is_hiragana(c)) c += 0x60;
  return utf8_encode(s);
}

std::string to_hiragana(std::string_view text) {
  std::u32string out;
  for (char32_t c : widen(utf8_decode(text))) {
    if (is_katakana(c) && c <= 0x30F6 && c != U'ヴ')
      out.push_back(c - 0x60);
    else if (c == U'ヴ')
      out += U"ゔ";
    else if (is_hiragana(c) || c == U'ー')
      out.push_back(c);
  }
  return utf8_encode(out);
}

std::string KanaConversion::text() const {
  std::string out;
  for (const KanaSegment& s : segments) out += s.text();
  return out;
}

std::string KanaConversion::reading() const {
  std::string out;
  for (const KanaSegment& s : segments) out += s.reading;
  return to_katakana(out);
}

struct KanaKanjiConverter::Impl {
  anthy_context_t context = nullptr;
  ~Impl() {
    if (context) anthy_release_context(context);
  }
};

KanaKanjiConverter::KanaKanjiConverter() : impl_(std::make_unique<Impl>()) {}
KanaKanjiConverter::~KanaKanjiConverter() = default;

bool KanaKanjiConverter::is_open() const {
  return impl_->context != nullptr;
}

Status KanaKanjiConverter::open() {
  if (is_open()) return {};
  // anthy_init is process-wide and may not be called twice.
  // The anonymous personality ("") keeps no history: nothing is read
  // from or written under $HOME/.anthy, and no name is learnt.
  std::call_once(anthy_once, [] { anthy_ready = anthy_init() == 0 && anthy_set_personality("") == 0; });
  if (!anthy_ready)
    return fail("open kana-kanji converter: anthy_init failed (is anthy-common's /usr/share/anthy/anthy.dic there?)");
  impl_->context = anthy_create_context();
  if (!impl_->context) return fail("open kana-kanji converter: anthy_create_context failed");
  anthy_context_set_encoding(impl_->context, ANTHY_UTF8_ENCODING);
  // A kiosk converts names, not sentences it has seen before.
  anthy_set_reconversion_mode(impl_->context, ANTHY_RECONVERT_DISABLE);
  return {};
}

Result<KanaConversion> KanaKanjiConverter::read_segments(size_t keep_choices_before) {
  anthy_context_t ac = impl_->context;
  anthy_conv_stat stat{};
  if (anthy_get_stat(ac, &stat) != 0) return fail("anthy_get_stat failed");
  KanaConversion out;
  char buf[1024];
  for (int i = 0; i < stat.nr_segment; ++i) {
    anthy_segment_stat seg{};
    if (anthy_get_segment_stat(ac, i, &seg) != 0) return fail("anthy_get_segment_stat failed");
    KanaSegment s;
    if (anthy_get_segment(ac, i, NTH_UNCONVERTED_CANDIDATE, buf, sizeof buf) < 0)
      return fail("anthy_get_segment failed");
    s.reading = buf;
    for (int k = 0; k < seg.nr_candidate; ++k) {
      if (anthy_get_segment(ac, i, k, buf, sizeof buf) < 0) return fail("anthy_get_segment failed");
      s.candidates.emplace_back(buf);
    }
    if (s.candidates.empty()) s.candidates.push_back(s.reading);
    const auto idx = static_cast<size_t>(i);
    if (idx < keep_choices_before && idx < current_.segments.size() &&
        current_.segments[idx].chosen < s.candidates.size())
      s.chosen = current_.segments[idx].chosen;
    out.segments.push_back(std::move(s));
  }
  current_ = out;
  return out;
}

Result<KanaConversion> KanaKanjiConverter::convert(std::string_view kana) {
  if (!is_open()) return fail("convert kana: converter not open");
  current_ = {};
  const std::string hiragana = to_hiragana(kana);
  if (hiragana.empty()) return current_;
  if (anthy_set_string(impl_->context, hiragana.c_str()) != 0) return fail("convert kana: anthy_set_string failed");
  return read_segments(0).context("convert kana");
}

Result<KanaConversion> KanaKanjiConverter::choose(size_t segment, size_t candidate) {
  if (segment >= current_.segments.size()) return fail("choose candidate: no such segment");
  KanaSegment& s = current_.segments[segment];
  if (candidate >= s.candidates.size()) return fail("choose candidate: no such candidate");
  s.chosen = candidate;
  return current_;
}

Result<KanaConversion> KanaKanjiConverter::resize(size_t segment, int delta) {
  if (!is_open()) return fail("resize segment: converter not open");
  if (segment >= current_.segments.size()) return fail("resize segment: no such segment");
  // Anthy resizes one kana at a time and ignores a resize past either end.
  const int step = delta > 0 ? 1 : -1;
  for (int k = 0; k != delta; k += step) anthy_resize_segment(impl_->context, static_cast<int>(segment), step);
  return read_segments(segment).context("resize segment");
}

}  // namespace shelter::ime
