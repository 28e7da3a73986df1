#pragma once
// Translations: one JSON file per language in assets/i18n/ ({"key": "text"}),
// with "_name" the language's own name and "_order" its place on the welcome
// screen. A key missing in a language falls back to English, then to the key
// itself (tests/ui/check_langs.py makes sure that never ships).
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace shelter::ui {

// The translation key of a sex code ("F", "M", "X", "" not given).
inline const char* sex_key(std::string_view code) {
  return code == "F" ? "sex.female" : code == "M" ? "sex.male" : code == "X" ? "sex.other" : "sex.unsaid";
}

class Translations {
 public:
  // Loads every *.json in `dir`. Fails if a file is not a flat JSON object
  // of strings, or if English is missing.
  Status load_dir(const std::string& dir);
  Status load_text(const std::string& code, std::string_view json_text);

  void set_language(const std::string& code);
  const std::string& language() const { return lang_; }
  bool has_language(const std::string& code) const { return tables_.count(code) != 0; }
  // (code, own name) in display order.
  std::vector<std::pair<std::string, std::string>> languages() const;

  const std::string& get(std::string_view key) const;
  const std::string& get(std::string_view code, std::string_view key) const;
  // Every string of every language: seeds the font atlas.
  std::string all_text() const;
  std::vector<std::string> keys(const std::string& code) const;

 private:
  std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> tables_;
  std::string lang_ = "en";
};

}  // namespace shelter::ui
