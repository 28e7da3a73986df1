#include "print/residents.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "core/model.hpp"
#include "core/utf8.hpp"

namespace shelter::print {

namespace {

// Each canonical column and the header names that mean it, lower case.
// Japanese names are those of 住民基本台帳 extracts and 町会 member lists.
struct Column {
  const char* canonical;
  std::vector<std::string_view> names;
};
const std::vector<Column>& columns() {
  static const std::vector<Column> table = {
      {"household", {"household", "household_no", "世帯", "世帯番号", "世帯コード", "世帯no", "世帯no."}},
      {"household_id", {"household_id"}},
      {"person_id", {"person_id"}},
      {"name", {"name", "氏名", "名前", "氏名（漢字）", "漢字氏名"}},
      {"reading",
       {"reading", "kana", "ふりがな", "フリガナ", "よみがな", "ヨミガナ", "カナ氏名", "氏名カナ", "氏名（カナ）"}},
      {"birth", {"birth", "birth_date", "date_of_birth", "生年月日"}},
      {"sex", {"sex", "gender", "性別"}},
      {"address", {"address", "住所", "住所地"}},
      {"phone", {"phone", "tel", "電話", "電話番号", "連絡先"}},
      {"district", {"district", "町丁目", "町丁名", "地区", "町会", "自治会", "行政区"}},
      {"shelter", {"shelter", "assigned_shelter", "指定避難所", "避難所", "避難先"}},
      {"needs", {"needs", "配慮", "要配慮", "配慮事項"}},
      {"needs_other", {"needs_other", "配慮その他", "配慮（その他）"}},
      {"consent", {"consent", "安否情報の開示", "安否開示", "開示同意", "同意"}},
  };
  return table;
}

constexpr size_t kMaxLabelChars = 100;  // household label, district, shelter

std::string trimmed_lower(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string trimmed(std::string_view s) {
  // Spaces, tabs and the ideographic space (U+3000) that spreadsheets leave.
  auto strip = [](std::string_view& v, bool front) {
    for (bool more = true; more && !v.empty();) {
      more = false;
      if (std::isspace(static_cast<unsigned char>(front ? v.front() : v.back()))) {
        front ? v.remove_prefix(1) : v.remove_suffix(1);
        more = true;
      } else if (v.size() >= 3 && (front ? v.substr(0, 3) : v.substr(v.size() - 3)) == "\xE3\x80\x80") {
        front ? v.remove_prefix(3) : v.remove_suffix(3);
        more = true;
      }
    }
  };
  strip(s, true);
  strip(s, false);
  // A line break or tab inside a cell (Alt+Enter in a spreadsheet's address
  // or notes) is a space: cards and sheets hold one line.
  std::string out(s);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r' || c == '\t'; }, ' ');
  return out;
}

// The line each row starts on, as csv::parse splits them (it skips blank
// lines), so that errors name a line a spreadsheet or editor shows.
std::vector<int> row_lines(std::string_view text) {
  std::vector<int> lines;
  int line = 1;
  bool quoted = false, in_row = false;
  for (char c : text) {
    if (!in_row && c != '\n' && c != '\r') {
      lines.push_back(line);
      in_row = true;
    }
    if (c == '"') quoted = !quoted;
    if (c == '\n') {
      ++line;
      if (!quoted) in_row = false;
    }
  }
  return lines;
}

// 男 / 女 and the register's codes 1 (男) and 2 (女), besides M F X.
std::optional<Sex> sex_of(const std::string& s) {
  if (s == "男" || s == "男性" || s == "1") return Sex::Male;
  if (s == "女" || s == "女性" || s == "2") return Sex::Female;
  if (s == "その他" || s == "他" || s == "9") return Sex::Other;
  return parse_sex(trimmed_lower(s));
}

// "1950-04-01", "1950/4/1", "1950年4月1日", "19500401", "1950" (digits
// half- or full-width), and
// Japanese eras as registers print them: "昭和25年4月1日", "S25.4.1", "令和元年5月1日".
std::optional<BirthDate> birth_of(std::string s) {
  if (s.empty()) return BirthDate{};
  // A spreadsheet's date with a time ("1950/4/1 0:00:00"): the date.
  if (const size_t sp = s.find(' '); sp != std::string::npos && s.find(':', sp) != std::string::npos) s.resize(sp);
  // Full-width digits and letters (１９５０年, Ｓ２５．４．１), as Japanese
  // spreadsheets often hold them; other full-width signs separate.
  for (size_t at; (at = s.find("\xEF\xBC")) != std::string::npos && at + 2 < s.size();) {
    const auto c = static_cast<unsigned char>(s[at + 2]);
    const char ascii = c >= 0x90 && c <= 0x99   ? static_cast<char>('0' + (c - 0x90))
                       : c >= 0xA1 && c <= 0xBA ? static_cast<char>('A' + (c - 0xA1))
                                                : '-';
    s.replace(at, 3, 1, ascii);
  }
  struct Era {
    const char* prefix;
    int first_year;
  };
  static const Era eras[] = {{"明治", 1868}, {"大正", 1912}, {"昭和", 1926}, {"平成", 1989}, {"令和", 2019},
                             {"M", 1868},    {"T", 1912},    {"S", 1926},    {"H", 1989},    {"R", 2019}};
  int era_base = 0;
  for (const Era& e : eras)
    if (s.rfind(e.prefix, 0) == 0) {
      era_base = e.first_year - 1;
      s.erase(0, std::string_view(e.prefix).size());
      break;
    }
  if (era_base && s.rfind("元", 0) == 0) s.replace(0, 3, "1");
  std::vector<int> parts;
  std::string digits;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      digits += s[i];
      continue;
    }
    if (!digits.empty()) {
      if (digits.size() > 8) return std::nullopt;
      parts.push_back(std::stoi(digits));
      if (parts.size() == 1 && digits.size() == 8 && !era_base) {  // 19500401
        const int v = parts.back();
        parts = {v / 10000, v / 100 % 100, v % 100};
      }
      digits.clear();
    }
  }
  if (parts.empty() || parts.size() == 2 || parts.size() > 3) return std::nullopt;
  if (era_base) parts[0] += era_base;
  char buf[16];
  if (parts.size() == 1) return parse_birth(std::to_string(parts[0]));
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", parts[0] % 10000, parts[1] % 100, parts[2] % 100);
  if (parts[0] > 9999 || parts[1] > 99 || parts[2] > 99) return std::nullopt;
  return parse_birth(buf);
}

// Needs as core's names or in Japanese, separated by , 、 ; or /.
std::optional<std::uint16_t> needs_of(const std::string& s) {
  static const std::map<std::string, std::string, std::less<>> japanese = {{"病気", "illness"},
                                                                           {"けが", "illness"},
                                                                           {"病気・けが", "illness"},
                                                                           {"妊娠中", "pregnant"},
                                                                           {"妊婦", "pregnant"},
                                                                           {"乳幼児", "infant"},
                                                                           {"乳児", "infant"},
                                                                           {"障がい", "disability"},
                                                                           {"障害", "disability"},
                                                                           {"障がい者", "disability"},
                                                                           {"介護", "care"},
                                                                           {"要介護", "care"},
                                                                           {"介護が必要", "care"},
                                                                           {"医療機器", "medical_device"},
                                                                           {"医療機器を使用", "medical_device"},
                                                                           {"アレルギー", "allergy"},
                                                                           {"言葉の手助け", "language"},
                                                                           {"通訳", "language"},
                                                                           {"その他", "other"}};
  std::string list;
  std::string item;
  auto flush = [&] {
    std::string t = trimmed(item);
    item.clear();
    if (t.empty()) return;
    auto it = japanese.find(t);
    if (!list.empty()) list += ',';
    list += it == japanese.end() ? trimmed_lower(t) : it->second;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ',' || s[i] == ';' || s[i] == '/') {
      flush();
    } else if (s.compare(i, 3, "、") == 0 || s.compare(i, 3, "，") == 0) {
      flush();
      i += 2;
    } else {
      item += s[i];
    }
  }
  flush();
  return parse_needs(list);
}

bool consent_of(const std::string& s) {
  const std::string v = trimmed_lower(s);
  return v == "1" || v == "yes" || v == "y" || v == "true" || v == "はい" || v == "同意" || v == "有" || v == "あり" ||
         v == "○" || v == "〇";
}

}  // namespace

std::string trimmed_cell(std::string_view s) {
  return trimmed(s);
}
std::optional<BirthDate> resident_birth(std::string s) {
  return birth_of(std::move(s));
}
std::vector<int> csv_row_lines(std::string_view text) {
  return row_lines(text);
}

std::string canonical_column(std::string_view header) {
  std::string h = trimmed_lower(header);
  if (h.rfind("\xEF\xBB\xBF", 0) == 0) h.erase(0, 3);
  for (const Column& c : columns())
    for (std::string_view n : c.names)
      if (h == n) return c.canonical;
  return {};
}

Result<Residents> read_residents(std::string_view text) {
  if (!is_valid_utf8(text))
    return fail("the file is not UTF-8 text (a Shift_JIS export? save it as \"CSV UTF-8\" and try again)");
  auto rows = csv::parse(text);
  if (!rows) return rows.error();
  if (rows->size() < 2) return fail("no residents: the file needs a header line and a line per resident");
  const std::vector<int> lines = row_lines(text);
  auto line_of = [&](size_t row) { return row < lines.size() ? lines[row] : static_cast<int>(row + 1); };

  csv::Row canonical;
  for (const std::string& h : rows->front()) {
    std::string c = canonical_column(h);
    if (!c.empty() && std::find(canonical.begin(), canonical.end(), c) != canonical.end())
      return fail("line 1: two columns mean '" + c + "' (one is '" + trimmed(h) + "')");
    canonical.push_back(c);
  }
  csv::Header h(canonical);
  for (const char* required : {"household", "name"})
    if (h.find(required) < 0)
      return fail(std::string("line 1: column '") + required + "' is missing (" +
                  (std::string_view(required) == "household" ? "household or 世帯番号" : "name or 氏名") + ")");

  Residents out;
  std::map<std::string, size_t> index;  // household label -> out.households
  out.with_ids.push_back({"household", "household_id", "person_id", "name", "reading", "sex", "birth", "needs",
                          "needs_other", "consent", "address", "phone", "district", "shelter"});
  for (size_t i = 1; i < rows->size(); ++i) {
    const csv::Row& row = (*rows)[i];
    const std::string where = "line " + std::to_string(line_of(i)) + ": ";
    auto cell = [&](const char* column) { return trimmed(h.get(row, column)); };
    if (row.size() > canonical.size())
      return fail(where + std::to_string(row.size()) + " fields, the header has " + std::to_string(canonical.size()));
    // A row of empty cells (a spreadsheet's trailing ",,,,") is no resident.
    if (std::all_of(row.begin(), row.end(), [](const std::string& c) { return trimmed(c).empty(); })) continue;
    // Labels printed in a line of their own: a cell pasted with a whole
    // document would draw thousands of lines off the page.
    for (const char* column : {"household", "district", "shelter"})
      if (utf8_decode(cell(column)).size() > kMaxLabelChars)
        return fail(where + column + " is longer than " + std::to_string(kMaxLabelChars) + " characters");
    const std::string label = cell("household");
    if (label.empty()) return fail(where + "household (世帯番号) is empty");
    qr::CardMember m;
    m.person_id = cell("person_id").empty() ? new_id() : cell("person_id");
    if (!is_valid_id(m.person_id)) return fail(where + "person_id must be 16 hex digits");
    m.info.name = cell("name");
    if (m.info.name.empty()) return fail(where + "name (氏名) is empty");
    m.info.reading = cell("reading");
    auto sex = sex_of(cell("sex"));
    if (!sex) return fail(where + "sex '" + cell("sex") + "' is not 男, 女, M, F, X or empty");
    m.info.sex = *sex;
    auto birth = birth_of(cell("birth"));
    if (!birth) return fail(where + "birth date '" + cell("birth") + "' is not a date (1950-04-01, 昭和25年4月1日)");
    m.info.birth = *birth;
    auto needs = needs_of(cell("needs"));
    if (!needs) return fail(where + "unknown need in '" + cell("needs") + "'");
    m.info.needs = *needs;
    m.info.needs_other = cell("needs_other");
    m.info.consent = consent_of(cell("consent"));

    auto [it, added] = index.emplace(label, out.households.size());
    if (added) {
      ResidentHousehold fresh;
      fresh.label = label;
      fresh.district = cell("district");
      fresh.shelter = cell("shelter");
      fresh.card.household_id = cell("household_id").empty() ? new_id() : cell("household_id");
      fresh.card.address = cell("address");
      fresh.card.phone = cell("phone");
      out.households.push_back(std::move(fresh));
    }
    ResidentHousehold& hh = out.households[it->second];
    // The household's address and phone: from its first line that has them.
    if (hh.card.address.empty()) hh.card.address = cell("address");
    if (hh.card.phone.empty()) hh.card.phone = cell("phone");
    const std::string hid = cell("household_id");
    if (!hid.empty() && hid != hh.card.household_id)
      return fail(where + "household " + label + " has two different household_id values");
    if (!is_valid_id(hh.card.household_id)) return fail(where + "household_id must be 16 hex digits");
    if (hh.card.members.size() >= static_cast<size_t>(qr::kMaxMembers))
      return fail(where + "household " + label + " has more than " + std::to_string(qr::kMaxMembers) + " members");
    m.info.address = hh.card.address;
    m.info.phone = hh.card.phone;
    hh.card.members.push_back(m);
    out.with_ids.push_back({label, hh.card.household_id, m.person_id, m.info.name, m.info.reading,
                            std::string(to_string(m.info.sex)), to_string(m.info.birth), needs_to_string(m.info.needs),
                            m.info.needs_other, m.info.consent ? "1" : "0", hh.card.address, hh.card.phone, hh.district,
                            hh.shelter});
  }
  return out;
}

}  // namespace shelter::print
