#pragma once
// Vietnamese by Telex on a Latin keyboard: aa â, aw ă, ee ê, oo ô, ow ơ,
// uw ư, uow ươ, w after a consonant ư, dd đ; tones s sắc, f huyền, r hỏi, x ngã,
// j nặng, z none, typed anywhere after the vowel and placed by the modern
// rule (hoà, thuý; the marked vowel first: Nguyễn, Trường). A key typed
// twice undoes itself: "ss" -> s, "aaa" -> aa. Command keys work in upper
// case too, since the kiosk's keyboard is upper case: "NGUYEENX" -> NGUYỄN.
// A word that cannot be a Vietnamese syllable (Sarah, Jane, Anna) stays as
// typed, and a word-initial w stays w (Wang), so foreign names survive.
#include <string>
#include <string_view>

namespace shelter::ime {

// Composes a whole key sequence: telex("Nguyeenx Vaawn An") == "Nguyễn Văn An".
std::string telex(std::u32string_view keys);
std::string telex(std::string_view keys);  // keys as UTF-8

// The keyboard's state. Backspace takes back one key, not one letter, so
// "Nguyeenx" then backspace reads "Nguyên" (the tone key is undone).
class TelexComposer {
 public:
  void key(char32_t key) { keys_.push_back(key); }
  bool backspace();
  void clear() { keys_.clear(); }
  std::string text() const { return telex(keys_); }
  const std::u32string& keys() const { return keys_; }

 private:
  std::u32string keys_;
};

}  // namespace shelter::ime
