#include "core/json_text.hpp"

#include <array>

#include "core/byte_scan.hpp"

namespace shelter {

namespace {
// The bytes a JSON string literal cannot hold as they are.
constexpr auto kEscaped = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = true;
  t['"'] = t['\\'] = true;
  return t;
}();
}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + s.size() + 2);
  out += '"';
  auto word_may_hold = [](std::uint64_t w) {
    return may_have_below(w, 0x20) || may_have_byte(w, '"') || may_have_byte(w, '\\');
  };
  auto is_special = [](unsigned char c) { return kEscaped[c]; };
  size_t plain = 0;  // start of the run not yet copied
  for (size_t i = find_special(s, 0, word_may_hold, is_special); i < s.size();
       i = find_special(s, i + 1, word_may_hold, is_special)) {
    const auto c = static_cast<unsigned char>(s[i]);
    out.append(s.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(s.data() + plain, s.size() - plain);
  out += '"';
}

std::string dump_json(const nlohmann::json& j) {
  if (!j.is_object()) return j.dump();
  for (const auto& [k, v] : j.items())
    if (!v.is_string()) return j.dump();
  std::string out;
  out.reserve(256);
  out += '{';
  for (const auto& [k, v] : j.items()) {
    if (out.size() > 1) out += ',';
    append_json_string(out, k);
    out += ':';
    append_json_string(out, v.get_ref<const std::string&>());
  }
  out += '}';
  return out;
}

}  // namespace shelter
