// Name entry figures (kiosk/ime): handwriting accuracy on hand-authored
// strokes with finger-like jitter, time per recognition, Anthy conversion
// time, and taps to enter 山田 花子 by conversion and by handwriting.
// Needs tegaki-zinnia-japanese and anthy-common installed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "kiosk/ime/handwriting.hpp"
#include "kiosk/ime/kana_kanji.hpp"
#include "tests/support/ink_samples.hpp"

using namespace shelter;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Position (1-based) of `kanji` in the candidates for its strokes, 0 = absent.
size_t rank_of(const ime::HandwritingRecognizer& r, const std::vector<ime::InkStroke>& strokes,
               const std::string& kanji, size_t n, ime::CandidateFilter filter = ime::CandidateFilter::kanji) {
  auto got = r.recognize(strokes, 100, 100, n, filter);
  if (!got) return 0;
  for (size_t i = 0; i < got->size(); ++i)
    if ((*got)[i].text == kanji) return i + 1;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 20;
  ime::HandwritingRecognizer hw;
  if (auto s = hw.open(); !s) {
    std::fprintf(stderr, "%s\n", s.error().message.c_str());
    return 1;
  }
  const auto samples = test::load_ink_samples(SHELTER_TEST_DATA "/ime/kanji_strokes.txt");
  std::printf("handwriting: %zu kanji, %d jittered variants each\n", samples.size(), rounds);
  for (const auto filter : {ime::CandidateFilter::any, ime::CandidateFilter::kanji})
    for (const float jitter : {0.f, 2.f, 4.f}) {
      std::mt19937 rng(42);
      size_t top1 = 0, top5 = 0, total = 0;
      double ms = 0;
      const int variants = jitter == 0.f ? 1 : rounds;
      for (const auto& s : samples)
        for (int v = 0; v < variants; ++v) {
          const auto strokes = test::finger_strokes(s, jitter, rng);
          const auto t0 = Clock::now();
          const size_t rank = rank_of(hw, strokes, s.kanji, 10, filter);
          ms += ms_since(t0);
          ++total;
          top1 += rank == 1;
          top5 += rank >= 1 && rank <= 5;
        }
      std::printf("  %s jitter %.0f: top-1 %.1f%%  top-5 %.1f%%  %.2f ms/recognition (%zu)\n",
                  filter == ime::CandidateFilter::kanji ? "kanji-only" : "any       ", jitter, 100.0 * top1 / total,
                  100.0 * top5 / total, ms / total, total);
    }
  std::printf("  kanji-only misses at jitter 0 (rank in top 10, 0 = absent):");
  for (const auto& s : samples) {
    std::mt19937 rng(1);
    const size_t rank = rank_of(hw, test::finger_strokes(s, 0, rng), s.kanji, 10);
    if (rank != 1) std::printf(" %s:%zu", s.kanji.c_str(), rank);
  }
  std::printf("\n");

  ime::KanaKanjiConverter conv;
  if (auto s = conv.open(); !s) {
    std::fprintf(stderr, "%s\n", s.error().message.c_str());
    return 1;
  }
  for (const char* kana : {"やまだはなこ", "さとうたろう", "すずきいちろう", "たかはしみなみ", "ワタナベケンジ"}) {
    const auto t0 = Clock::now();
    auto c = conv.convert(kana);
    const double ms = ms_since(t0);
    if (!c) continue;
    std::printf("anthy: %s -> %s (%s) %zu segments, %.2f ms\n", kana, c->text().c_str(), c->reading().c_str(),
                c->segments.size(), ms);
  }

  // Taps for 山田 花子 by conversion: one tap per kana (や ま だ: the kana
  // keyboard has voiced keys, so だ is one tap), one per conversion, and per
  // segment the taps to reach the right candidate (0 when it comes first;
  // else one to open the list and one to pick).
  int convert_taps = 0;
  for (const auto& [kana, want] : {std::pair{"やまだ", "山田"}, std::pair{"はなこ", "花子"}}) {
    convert_taps += static_cast<int>(ime::to_katakana(kana).size() / 3) + 1;
    auto c = conv.convert(kana);
    if (!c || c->segments.size() != 1) {
      std::printf("taps by conversion: %s splits into %zu segments\n", kana, c ? c->segments.size() : 0);
      continue;
    }
    const auto& cands = c->segments[0].candidates;
    const auto at = std::find(cands.begin(), cands.end(), std::string(want)) - cands.begin();
    std::printf("  %s -> %s is candidate %td of %zu\n", kana, want, at + 1, cands.size());
    convert_taps += at == 0 ? 0 : 2;
  }
  std::printf("taps for 山田 花子 by conversion, name by name: %d (6 kana, 2 converts, choices)\n", convert_taps);
  // All six kana at once: one convert when Anthy's first choice is right.
  if (auto c = conv.convert("やまだはなこ"); c && c->text() == "山田花子")
    std::printf("taps for 山田 花子 by conversion, at once: 7 (6 kana, 1 convert)\n");

  // By handwriting: every stroke is a drag, every character one candidate tap
  // (plus a page tap when it is not in the first 5 shown), kanji-only pad.
  int drags = 0, taps = 0;
  for (const char* kanji : {"山", "田", "花", "子"}) {
    for (const auto& s : samples)
      if (s.kanji == kanji) {
        std::mt19937 rng(7);
        drags += static_cast<int>(s.strokes.size());
        const size_t rank = rank_of(hw, test::finger_strokes(s, 2, rng), kanji, 10);
        taps += rank >= 1 && rank <= 5 ? 1 : 2;
      }
  }
  std::printf("by handwriting: %d drags + %d taps = %d\n", drags, taps, drags + taps);
  return 0;
}
