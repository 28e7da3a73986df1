#include "kiosk/ui/i18n.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace shelter::ui {

Status Translations::load_text(const std::string& code, std::string_view json_text) {
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("translations " + code + ": not a JSON object");
  std::map<std::string, std::string, std::less<>> table;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_string()) return fail("translations " + code + ": key " + it.key() + " is not a string");
    table[it.key()] = it.value().get<std::string>();
  }
  tables_[code] = std::move(table);
  return {};
}

Status Translations::load_dir(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in) return fail("read " + entry.path().string());
    if (auto st = load_text(entry.path().stem().string(), ss.str()); !st) return st;
  }
  if (ec) return fail("translations " + dir + ": " + ec.message());
  if (!tables_.count("en")) return fail("translations " + dir + ": no en.json");
  return {};
}

void Translations::set_language(const std::string& code) {
  if (tables_.count(code)) lang_ = code;
}

std::vector<std::pair<std::string, std::string>> Translations::languages() const {
  std::vector<std::tuple<int, std::string, std::string>> all;
  for (const auto& [code, table] : tables_) {
    auto order = table.find("_order");
    auto name = table.find("_name");
    all.emplace_back(order == table.end() ? 99 : std::atoi(order->second.c_str()), code,
                     name == table.end() ? code : name->second);
  }
  std::sort(all.begin(), all.end());
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& [o, code, name] : all) out.emplace_back(code, name);
  return out;
}

const std::string& Translations::get(std::string_view code, std::string_view key) const {
  for (std::string_view c : {code, std::string_view("en")}) {
    auto t = tables_.find(c);
    if (t == tables_.end()) continue;
    auto it = t->second.find(key);
    if (it != t->second.end()) return it->second;
  }
  // Unknown keys show as themselves; the key check test keeps them out of releases.
  static thread_local std::string fallback;
  fallback = std::string(key);
  return fallback;
}

const std::string& Translations::get(std::string_view key) const {
  return get(lang_, key);
}

std::string Translations::all_text() const {
  std::string out;
  for (const auto& [code, table] : tables_)
    for (const auto& [k, v] : table) out += v;
  return out;
}

std::vector<std::string> Translations::keys(const std::string& code) const {
  std::vector<std::string> out;
  auto t = tables_.find(code);
  if (t != tables_.end())
    for (const auto& [k, v] : t->second) out.push_back(k);
  return out;
}

}  // namespace shelter::ui
