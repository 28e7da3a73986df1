#pragma once
// Kana -> kanji conversion with Anthy, for a name typed in kana. The kana
// stays as the name's reading. Anthy is not thread-safe: create one
// converter per kiosk and use it from the UI thread only.
//
// Nothing is learnt: the converter never commits to Anthy's history, so
// one evacuee's name never becomes the next one's first candidate, and
// nothing is written under $HOME.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace shelter::ime {

struct KanaSegment {
  std::string reading;                  // hiragana, as Anthy split it
  std::vector<std::string> candidates;  // Anthy's order; kana forms included
  size_t chosen = 0;
  const std::string& text() const { return candidates.at(chosen); }
};

struct KanaConversion {
  std::vector<KanaSegment> segments;
  // The chosen candidates joined: "山田花子".
  std::string text() const;
  // The segments' readings joined, as katakana: "ヤマダハナコ".
  std::string reading() const;
};

class KanaKanjiConverter {
 public:
  KanaKanjiConverter();
  ~KanaKanjiConverter();
  KanaKanjiConverter(const KanaKanjiConverter&) = delete;
  KanaKanjiConverter& operator=(const KanaKanjiConverter&) = delete;

  // Starts Anthy (once per process) and a context. Debian's anthy-common
  // puts the dictionary at /usr/share/anthy/anthy.dic (/etc/anthy/anthy-conf).
  Status open();
  bool is_open() const;

  // Converts hiragana or katakana (full- or half-width); spaces and other
  // characters are dropped. The result is also the converter's state for
  // choose() and resize().
  Result<KanaConversion> convert(std::string_view kana);
  // Picks candidate `candidate` of segment `segment` of the last conversion.
  Result<KanaConversion> choose(size_t segment, size_t candidate);
  // Grows (delta > 0) or shrinks segment `segment` by delta kana; the
  // segments after it are split again and their choices reset.
  Result<KanaConversion> resize(size_t segment, int delta);
  const KanaConversion& current() const { return current_; }

 private:
  Result<KanaConversion> read_segments(size_t keep_choices_before);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  KanaConversion current_;
};

// Hiragana and half-width katakana -> full-width katakana; other text kept.
std::string to_katakana(std::string_view text);
// Katakana (full- and half-width) -> hiragana; other characters dropped
// except the long-vowel mark ー, which Anthy reads.
std::string to_hiragana(std::string_view text);

}  // namespace shelter::ime
