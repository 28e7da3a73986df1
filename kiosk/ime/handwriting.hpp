#pragma once
// Kanji (or hanzi) by finger: Zinnia's SVM recognizer with a Tegaki model.
// The UI collects strokes in an Ink and asks for candidates after each
// stroke; the person taps one. No UI state here beyond Ink.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace shelter::ime {

struct InkPoint {
  float x = 0, y = 0;
};
using InkStroke = std::vector<InkPoint>;

// What the pad has drawn so far, in canvas coordinates.
struct Ink {
  std::vector<InkStroke> strokes;
  bool drawing = false;  // a stroke is open (finger down)

  void add_point(float x, float y);  // opens a stroke when none is open
  void end_stroke();                 // finger up; a one-point stroke stays (a dot)
  void undo_stroke();                // drops the last stroke, open or not
  void clear();
  bool empty() const { return strokes.empty(); }
};

struct Candidate {
  std::string text;  // one character, UTF-8
  float score = 0;   // Zinnia's SVM score: higher is better, not a probability
};

// Which candidates a pad wants. The Japanese model knows kana, Latin and
// digits too; a pad for kanji names wants none of them.
enum class CandidateFilter {
  any,
  // Kanji (and 々) only. Kana and radical lookalikes become the kanji they
  // are mistaken for (エ->工, カ->力, ロ->口, 囗->口, 孑->子), since a finger
  // drawing 口 the size of the pad looks like the enclosure 囗 to the model.
  kanji,
};

// Paths as the Debian packages install them.
inline constexpr std::string_view kJapaneseModel = "/usr/share/tegaki/models/zinnia/handwriting-ja.model";
inline constexpr std::string_view kChineseModel = "/usr/share/tegaki/models/zinnia/handwriting-zh_CN.model";

class HandwritingRecognizer {
 public:
  HandwritingRecognizer();
  ~HandwritingRecognizer();
  HandwritingRecognizer(HandwritingRecognizer&&) noexcept;
  HandwritingRecognizer& operator=(HandwritingRecognizer&&) noexcept;

  // Loads a Zinnia model (mmap'd; about 20 MB for Japanese).
  Status open(std::string_view model_path = kJapaneseModel);
  bool is_open() const;

  // Top-n candidates for strokes drawn in a width x height canvas (the
  // canvas should be square; the character should fill most of it). Empty
  // strokes are skipped; no strokes gives no candidates.
  Result<std::vector<Candidate>> recognize(const std::vector<InkStroke>& strokes, float width, float height,
                                           size_t n = 10, CandidateFilter filter = CandidateFilter::any) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shelter::ime
