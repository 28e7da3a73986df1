#pragma once
// The name entry's engines and rules (the screen is kiosk/ui/name_entry.cpp):
// what a key, the pad, a candidate or delete does to the text being typed,
// whichever keyboard is up. Kana is composed and converted to kanji with
// Anthy (the kana kept as the reading), handwriting is read by Zinnia,
// Hangul composed by libhangul, Vietnamese by Telex. The engines are opened
// on first use: a kiosk that never sees a kanji name never loads Anthy's
// dictionary or the 20 MB handwriting model. UI thread only.
#include <memory>
#include <string>

#include "core/result.hpp"
#include "kiosk/ui/view_model.hpp"

namespace shelter::kiosk {

// Where typed text goes: the text, and for a name its reading (katakana)
// and whether that reading is known for all of the text.
struct EntryTarget {
  std::string* text = nullptr;
  std::string* reading = nullptr;  // null: no reading kept (an address, a search)
  bool* reading_sure = nullptr;
  size_t max_bytes = 200;
  bool ascii_space = false;  // the kana keyboard's ideographic space becomes ' '
};

class NameInput {
 public:
  NameInput();
  ~NameInput();
  NameInput(const NameInput&) = delete;
  NameInput& operator=(const NameInput&) = delete;

  // Each returns an error for the notice line ("" none): too long, or an
  // engine that would not open.
  std::string key(ui::NameEntryVm& e, const EntryTarget& t, const std::string& key);
  void backspace(ui::NameEntryVm& e, const EntryTarget& t);
  std::string convert(ui::NameEntryVm& e);
  std::string choose(ui::NameEntryVm& e, const EntryTarget& t, int index);
  void focus(ui::NameEntryVm& e, int segment);
  std::string resize(ui::NameEntryVm& e, int delta);
  std::string ink_point(ui::NameEntryVm& e, const std::string& xy);
  std::string ink_end(ui::NameEntryVm& e);
  void ink_undo(ui::NameEntryVm& e);
  void ink_clear(ui::NameEntryVm& e);
  // Takes what is composed or being converted into the text as it stands
  // (before Next, a keyboard switch, space).
  std::string commit(ui::NameEntryVm& e, const EntryTarget& t);
  std::string switch_keyboard(ui::NameEntryVm& e, const EntryTarget& t, ui::Keyboard k);
  // Drops everything pending, keeps the keyboard (a new page or person).
  void reset(ui::NameEntryVm& e);

 private:
  std::string append(const EntryTarget& t, const std::string& text, const std::string& reading, bool reading_known);
  std::string recognize(ui::NameEntryVm& e);
  struct Engines;
  std::unique_ptr<Engines> en_;
};

// Katakana with its spaces only (a reading as typed on the kana keyboard).
bool is_reading(const std::string& text);

}  // namespace shelter::kiosk
