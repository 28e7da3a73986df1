#include <catch2/catch.hpp>

#include "core/json_text.hpp"
#include "sync/server/pg/copy.hpp"

using namespace shelter;

TEST_CASE("dump_json writes exactly what nlohmann's dump writes", "[json]") {
  std::string every_ascii;
  for (int c = 1; c < 128; ++c) every_ascii += static_cast<char>(c);
  const std::vector<nlohmann::json> values = {
      nlohmann::json::object(),
      {{"name", "髙橋 太郎"}, {"reading", "タカハシ タロウ"}, {"sex", "F"}},
      {{"quote", "say \"hi\""}, {"backslash", "C:\\dir"}, {"controls", "\b\f\n\r\t\x01\x1f"}, {"del", "\x7f"}},
      {{"ascii", every_ascii}, {"emoji", "𠮷野家 🏠"}, {"", ""}},
      {{"into", "0123456789abcdef"}},
      // not an object of strings: nlohmann writes these itself
      {{"n", 1}, {"s", "x"}},
      {{"nested", {{"a", "b"}}}},
      nlohmann::json::array({"a", 1}),
      "plain string",
  };
  for (const auto& v : values) {
    INFO(v.dump());
    CHECK(dump_json(v) == v.dump());
  }
}

TEST_CASE("append_json_string gives back the same string when parsed", "[json]") {
  std::string s;
  for (int c = 1; c < 256; ++c)
    if (c < 0x80) s += static_cast<char>(c);
  s += "ひらがな 漢字 한국어 Tiếng Việt 𠮷";
  std::string out;
  append_json_string(out, s);
  CHECK(nlohmann::json::parse(out).get<std::string>() == s);
  CHECK(out == nlohmann::json(s).dump());
}

TEST_CASE("COPY rows escape what COPY's text format treats specially, and nothing else", "[json][copy]") {
  sync::CopyRows rows;
  rows.text("plain").text("tab\there").number(-42).text("").end_row();
  rows.text("back\\slash").text("new\nline").text("cr\rhere").text("{\"a\":\"\\\"\"}").end_row();
  rows.text("髙橋 𠮷").number(9223372036854775807LL).end_row();
  rows.null().text("\\N").null().end_row();  // NULL is \N; the text \N is escaped
  CHECK(rows.data() ==
        "plain\ttab\\there\t-42\t\n"
        "back\\\\slash\tnew\\nline\tcr\\rhere\t{\"a\":\"\\\\\"\"}\n"
        "髙橋 𠮷\t9223372036854775807\n"
        "\\N\t\\\\N\t\\N\n");
}

TEST_CASE("the escapers find a special byte at any place in a long string", "[json][copy]") {
  const std::string plain = "髙橋タロウ abcdefghij 0123456789 ABCDEFGHIJ";  // 8-byte words, no special byte
  for (char special : {'"', '\\', '\n', '\t', '\r', '\x01', '\x1f'})
    for (size_t at = 0; at <= plain.size(); ++at) {
      if (at < plain.size() && (static_cast<unsigned char>(plain[at]) & 0xc0) == 0x80) continue;  // inside a character
      std::string s = plain;
      s.insert(at, 1, special);
      std::string json;
      append_json_string(json, s);
      INFO("byte " << int(special) << " at " << at);
      CHECK(json == nlohmann::json(s).dump());
      sync::CopyRows rows;
      rows.text(s);
      std::string expected;
      for (char c : s) {
        if (c == '\\' || c == '\t' || c == '\n' || c == '\r') expected += '\\';
        expected += c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : c;
      }
      CHECK(rows.data() == expected);
    }
}
