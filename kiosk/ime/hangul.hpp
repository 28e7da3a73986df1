#pragma once
// Hangul by the standard 2-set (dubeolsik) keyboard, composed into
// syllables by libhangul: "rlaalswns" -> 김민준. Backspace takes back one
// jamo of the syllable being composed (준 -> 주 -> ㅈ), then whole
// syllables of the text already composed.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace shelter::ime {

// One key of the 2-set layout: the Latin key and the jamo on it
// (Hangul compatibility jamo, U+3131..). Shifted keys are upper case.
struct HangulKey {
  char key;
  char32_t jamo;
};
// Row by row, as the keyboard is printed: 26 plain keys, then the 7 keys
// whose shifted jamo differ (ㅃ ㅉ ㄸ ㄲ ㅆ ㅒ ㅖ).
const std::vector<HangulKey>& dubeolsik_layout();
// The key for a jamo, or 0 when the layout has none.
char dubeolsik_key(char32_t jamo);

class HangulComposer {
 public:
  HangulComposer();
  ~HangulComposer();
  HangulComposer(HangulComposer&&) noexcept;
  HangulComposer& operator=(HangulComposer&&) noexcept;

  // A key of the 2-set layout; any other printable ASCII (space, digits,
  // '-') ends the syllable and is added as it is.
  void key(char ascii);
  // A jamo from an on-screen keyboard; false when it is not on the layout.
  bool jamo(char32_t jamo);
  // Takes back one jamo or one character; false when there was nothing.
  bool backspace();
  void clear();

  std::string committed() const { return committed_; }
  std::string preedit() const;  // the syllable being composed (UTF-8)
  std::string text() const { return committed_ + preedit(); }
  // Ends composition: the syllable being composed is committed.
  std::string finish();

 private:
  void take_commit();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string committed_;
};

}  // namespace shelter::ime
