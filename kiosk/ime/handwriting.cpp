#include "kiosk/ime/handwriting.hpp"

#include <zinnia.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/utf8.hpp"

namespace shelter::ime {

void Ink::add_point(float x, float y) {
  if (!drawing) {
    strokes.emplace_back();
    drawing = true;
  }
  InkStroke& s = strokes.back();
  // A finger resting still sends the same point each frame.
  if (!s.empty() && s.back().x == x && s.back().y == y) return;
  s.push_back({x, y});
}

void Ink::end_stroke() {
  drawing = false;
}

void Ink::undo_stroke() {
  if (!strokes.empty()) strokes.pop_back();
  drawing = false;
}

void Ink::clear() {
  strokes.clear();
  drawing = false;
}

struct HandwritingRecognizer::Impl {
  zinnia_recognizer_t* recognizer = nullptr;
  bool open = false;
  ~Impl() {
    if (recognizer) zinnia_recognizer_destroy(recognizer);
  }
};

HandwritingRecognizer::HandwritingRecognizer() : impl_(std::make_unique<Impl>()) {}
HandwritingRecognizer::~HandwritingRecognizer() = default;
HandwritingRecognizer::HandwritingRecognizer(HandwritingRecognizer&&) noexcept = default;
HandwritingRecognizer& HandwritingRecognizer::operator=(HandwritingRecognizer&&) noexcept = default;

bool HandwritingRecognizer::is_open() const {
  return impl_ && impl_->open;
}

Status HandwritingRecognizer::open(std::string_view model_path) {
  const std::string path(model_path);
  const std::string what = "open handwriting model " + path;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return fail(what + ": no such file (Debian: apt install tegaki-zinnia-japanese)");
  if (!impl_) impl_ = std::make_unique<Impl>();
  if (!impl_->recognizer) impl_->recognizer = zinnia_recognizer_new();
  if (!impl_->recognizer) return fail(what + ": zinnia_recognizer_new failed");
  if (impl_->open) zinnia_recognizer_close(impl_->recognizer);
  impl_->open = zinnia_recognizer_open(impl_->recognizer, path.c_str()) != 0;
  if (!impl_->open) return fail(what + ": " + zinnia_recognizer_strerror(impl_->recognizer));
  return {};
}

namespace {

struct CharacterDeleter {
  void operator()(zinnia_character_t* c) const { zinnia_character_destroy(c); }
};
struct ResultDeleter {
  void operator()(zinnia_result_t* r) const { zinnia_result_destroy(r); }
};

bool is_kanji(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0x20000 && c <= 0x3FFFF) || c == U'々';
}

// Shapes the model returns for a kanji drawn plainly, and that kanji.
constexpr std::pair<std::u32string_view, std::u32string_view> kLookalikes[] = {
    {U"エ", U"工"}, {U"カ", U"力"}, {U"ロ", U"口"}, {U"ニ", U"二"}, {U"ハ", U"八"},
    {U"タ", U"夕"}, {U"ト", U"卜"}, {U"囗", U"口"}, {U"孑", U"子"}, {U"ー", U"一"},
};

// Kanji only, lookalikes replaced, duplicates dropped, at most n.
std::vector<Candidate> kanji_only(const std::vector<Candidate>& all, size_t n) {
  std::vector<Candidate> out;
  for (Candidate c : all) {
    std::u32string text = utf8_decode(c.text);
    for (const auto& [shape, kanji] : kLookalikes)
      if (text == shape) text = kanji;
    if (text.size() != 1 || !is_kanji(text[0])) continue;
    c.text = utf8_encode(text);
    bool seen = false;
    for (const Candidate& o : out) seen = seen || o.text == c.text;
    if (!seen) out.push_back(std::move(c));
    if (out.size() == n) break;
  }
  return out;
}

}  // namespace

Result<std::vector<Candidate>> HandwritingRecognizer::recognize(const std::vector<InkStroke>& strokes, float width,
                                                                float height, size_t n, CandidateFilter filter) const {
  if (!is_open()) return fail("recognize handwriting: no model open");
  if (!(width > 0) || !(height > 0)) return fail("recognize handwriting: canvas has no size");
  std::vector<Candidate> out;
  if (n == 0) return out;
  // Zinnia works in integer pixels and normalises by the canvas size; a
  // fixed 300-unit canvas keeps rounding small whatever the pad's scale.
  constexpr float kCanvas = 300;
  std::unique_ptr<zinnia_character_t, CharacterDeleter> ch(zinnia_character_new());
  if (!ch) return fail("recognize handwriting: zinnia_character_new failed");
  zinnia_character_set_width(ch.get(), static_cast<size_t>(kCanvas));
  zinnia_character_set_height(ch.get(), static_cast<size_t>(kCanvas));
  size_t id = 0;
  for (const InkStroke& s : strokes) {
    if (s.empty()) continue;
    for (const InkPoint& p : s) {
      const int x = static_cast<int>(std::lround(std::clamp(p.x / width, 0.f, 1.f) * kCanvas));
      const int y = static_cast<int>(std::lround(std::clamp(p.y / height, 0.f, 1.f) * kCanvas));
      zinnia_character_add(ch.get(), id, x, y);
    }
    // A tap is a dot: Zinnia needs a stroke to have a direction.
    if (s.size() == 1) {
      const int x = static_cast<int>(std::lround(std::clamp(s[0].x / width, 0.f, 1.f) * kCanvas));
      const int y = static_cast<int>(std::lround(std::clamp(s[0].y / height, 0.f, 1.f) * kCanvas));
      zinnia_character_add(ch.get(), id, x + 2, y + 2);
    }
    ++id;
  }
  if (id == 0) return out;
  // Filtering drops some: ask for more, then keep n.
  const size_t asked = filter == CandidateFilter::kanji ? n + 20 : n;
  std::unique_ptr<zinnia_result_t, ResultDeleter> res(zinnia_recognizer_classify(impl_->recognizer, ch.get(), asked));
  if (!res) return fail(std::string("recognize handwriting: ") + zinnia_recognizer_strerror(impl_->recognizer));
  const size_t size = zinnia_result_size(res.get());
  out.reserve(size);
  for (size_t i = 0; i < size; ++i)
    out.push_back({zinnia_result_value(res.get(), i), zinnia_result_score(res.get(), i)});
  if (filter == CandidateFilter::kanji) return kanji_only(out, n);
  return out;
}

}  // namespace shelter::ime
