#include "sync/server/district_list.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/csv.hpp"
#include "core/fs_util.hpp"
#include "core/name_match.hpp"
#include "core/utf8.hpp"
#include "print/residents.hpp"

namespace shelter::sync {

namespace {

// The columns of a district list, and the header names that mean each:
// those of the residents CSV (print/residents.hpp) and a card id.
std::string column_of(const std::string& header) {
  std::string c = print::canonical_column(header);
  if (c == "person_id") return "card_id";
  if (!c.empty()) return c;
  std::string h = print::trimmed_cell(header);
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char ch) { return std::tolower(ch); });
  for (const char* n : {"card_id", "card", "カードid", "カード番号", "個人id", "個人番号id"})
    if (h == n) return "card_id";
  return {};
}

std::string hex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  out.pop_back();
  return out;
}

Result<std::string> unhex(std::string_view text) {
  std::string out(text.size() / 2, '\0');
  size_t n = 0;
  if (text.size() % 2 != 0 ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr, &n,
                     nullptr) != 0 ||
      n != out.size())
    return fail("not hex");
  return out;
}

}  // namespace

Result<std::vector<DistrictEntry>> read_district_list(std::string_view text) {
  if (text.size() > kMaxDistrictListBytes)
    return fail("the list is over " + std::to_string(kMaxDistrictListBytes >> 20) + " MiB: split it by district");
  if (!is_valid_utf8(text))
    return fail("the file is not UTF-8 text (a Shift_JIS export? save it as \"CSV UTF-8\" and try again)");
  auto rows = csv::parse(text);
  if (!rows) return rows.error();
  if (rows->size() < 2) return fail("no one on the list: the file needs a header line and a line per person");
  const std::vector<int> lines = print::csv_row_lines(text);
  csv::Row canonical;
  for (const std::string& h : rows->front()) {
    std::string c = column_of(h);
    if (!c.empty() && std::find(canonical.begin(), canonical.end(), c) != canonical.end())
      return fail("line 1: two columns mean '" + c + "' (one is '" + print::trimmed_cell(h) + "')");
    canonical.push_back(c);
  }
  csv::Header h(canonical);
  for (const char* required : {"district", "name"})
    if (h.find(required) < 0)
      return fail(std::string("line 1: column '") + required + "' is missing (" +
                  (std::string_view(required) == "district" ? "district, 町丁目 or 地区" : "name or 氏名") + ")");
  if (rows->size() - 1 > kMaxDistrictListEntries)
    return fail(std::to_string(rows->size() - 1) + " people: at most " + std::to_string(kMaxDistrictListEntries) +
                " on one list");
  std::vector<DistrictEntry> out;
  for (size_t i = 1; i < rows->size(); ++i) {
    const csv::Row& row = (*rows)[i];
    const int line = i < lines.size() ? lines[i] : static_cast<int>(i + 1);
    const std::string where = "line " + std::to_string(line) + ": ";
    auto cell = [&](const char* column) { return print::trimmed_cell(h.get(row, column)); };
    if (row.size() > canonical.size())
      return fail(where + std::to_string(row.size()) + " fields, the header has " + std::to_string(canonical.size()));
    DistrictEntry e;
    e.district = cell("district");
    if (e.district.empty()) return fail(where + "district (町丁目 / 地区) is empty");
    e.name = cell("name");
    if (e.name.empty()) return fail(where + "name (氏名) is empty");
    e.reading = cell("reading");
    e.address = cell("address");
    auto birth = print::resident_birth(cell("birth"));
    if (!birth) return fail(where + "birth date '" + cell("birth") + "' is not a date (1950-04-01, 昭和25年4月1日)");
    e.birth = *birth;
    e.card_id = cell("card_id");
    std::transform(e.card_id.begin(), e.card_id.end(), e.card_id.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });
    if (!e.card_id.empty() && !is_valid_id(e.card_id))
      return fail(where + "card id must be the 16 hex digits printed on the card (person_id)");
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::string> seal_district_list(const std::string& key, const DistrictList& list) {
  if (key.size() != crypto_secretbox_KEYBYTES) return fail("no list key");
  nlohmann::json people = nlohmann::json::array();
  for (const auto& e : list.entries)
    people.push_back({e.district, e.name, e.reading, to_string(e.birth), e.address, e.card_id});
  const std::string plain =
      nlohmann::json{{"v", 1}, {"by", list.uploaded_by}, {"at", list.uploaded_ms}, {"people", people}}.dump();
  std::string box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(box.data());
  randombytes_buf(out, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char*>(plain.data()),
                        plain.size(), out, reinterpret_cast<const unsigned char*>(key.data()));
  return hex(box);
}

Result<DistrictList> open_district_list(const std::string& key, std::string_view sealed_hex) {
  if (key.size() != crypto_secretbox_KEYBYTES) return fail("no list key");
  auto box = unhex(sealed_hex);
  if (!box || box->size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
    return fail("the stored list is damaged");
  const auto* in = reinterpret_cast<const unsigned char*>(box->data());
  std::string plain(box->size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()), in + crypto_secretbox_NONCEBYTES,
                                 box->size() - crypto_secretbox_NONCEBYTES, in,
                                 reinterpret_cast<const unsigned char*>(key.data())) != 0)
    return fail("the stored list does not open with this server's list key (another key file?)");
  auto j = nlohmann::json::parse(plain, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("v", 0) != 1) return fail("the stored list is damaged");
  DistrictList out;
  out.uploaded_by = j.value("by", "");
  out.uploaded_ms = j.value("at", std::int64_t{0});
  for (const auto& p : j.value("people", nlohmann::json::array())) {
    if (!p.is_array() || p.size() != 6) return fail("the stored list is damaged");
    DistrictEntry e{p[0].get<std::string>(),
                    p[1].get<std::string>(),
                    p[2].get<std::string>(),
                    p[4].get<std::string>(),
                    parse_birth(p[3].get<std::string>()).value_or(BirthDate{}),
                    p[5].get<std::string>()};
    out.entries.push_back(std::move(e));
  }
  return out;
}

std::string list_key_path(const std::string& db_path) {
  if (db_path.empty() || db_path == ":memory:") return {};
  return db_path + ".list-key";
}

Result<std::string> load_or_make_list_key(const std::string& path) {
  if (path.empty()) return fail("no list key file");
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    std::string key(crypto_secretbox_KEYBYTES, '\0');
    crypto_secretbox_keygen(reinterpret_cast<unsigned char*>(key.data()));
    if (auto st = write_file_atomic(path, hex(key) + "\n", 0600); !st) return st.error().context("list key");
  }
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  auto key = unhex(text);
  if (!in || !key || key->size() != crypto_secretbox_KEYBYTES) return fail(path + ": not a list key (64 hex digits)");
  return *key;
}

std::vector<EntryStatus> match_district_list(const std::vector<DistrictEntry>& entries,
                                             const std::vector<PersonRecord>& persons) {
  std::map<std::string, const PersonRecord*> by_id;
  std::multimap<std::string, const PersonRecord*> by_key;
  for (const auto& p : persons) {
    by_id[p.id] = &p;
    const std::string key = person_match_key(p.info.name, p.info.reading);
    if (!key.empty()) by_key.emplace(key, &p);
  }
  // Present before out before anything else: the list asks "is this person safe".
  auto rank = [](Presence p) { return p == Presence::Present ? 0 : p == Presence::Out ? 1 : 2; };
  std::vector<EntryStatus> out;
  for (const auto& e : entries) {
    EntryStatus s;
    if (auto it = by_id.find(e.card_id); !e.card_id.empty() && it != by_id.end()) {
      s = {ListMatch::Exact, it->second, it->second->presence};
    } else if (const std::string key = person_match_key(e.name, e.reading); !key.empty() && e.birth.known()) {
      const std::string birth = to_string(e.birth);
      auto [from, to] = by_key.equal_range(key);
      for (auto it = from; it != to; ++it) {
        const PersonRecord* p = it->second;
        if (!births_compatible(birth, to_string(p->info.birth))) continue;
        if (!s.person || rank(p->presence) < rank(s.person->presence)) s = {ListMatch::Probable, p, p->presence};
      }
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace shelter::sync
