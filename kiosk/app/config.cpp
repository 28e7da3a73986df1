#include "kiosk/app/config.hpp"

#include "core/fs_util.hpp"

#include <cstdint>
#include <cstdio>
#include <limits>
#include <set>

// toml++ 3.3 asserts (in builds without NDEBUG) where its parser meets
// some malformed input, e.g. "[`"; release builds go on and report a parse
// error. Debug and sanitizer builds do the same here, so a bad config gets
// its message there too instead of an abort. Only this file includes toml++.
#define TOML_ASSERT(expr) static_cast<void>(0)
#include <toml++/toml.h>

#include "core/model.hpp"

namespace shelter::kiosk {

namespace {

// toml++ 3.3 (Debian 12) reaches __builtin_unreachable on some non-ASCII
// characters wherever its parser asks "is this whitespace?" (U+00A1..U+0499,
// U+2C4E..U+3047 such as "あ", U+FB26..U+FEFE; found by fuzz_config). So it
// only ever sees ASCII: text in quotes is rewritten with \u escapes ('...'
// literal strings become "..." basic strings with the same value), comments
// lose their non-ASCII, and anything else non-ASCII or a control character
// (TOML forbids those anyway) is refused here, naming the line. Newlines are
// kept, so toml++'s line numbers still match the file.
Result<std::string> ascii_toml(std::string_view text) {
  enum class In { Code, Comment, Basic, Literal, MultiBasic, MultiLiteral } in = In::Code;
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  int line = 1;
  auto at = [&](size_t i, std::string_view s) { return text.substr(i, s.size()) == s; };
  auto refuse = [&](const std::string& why) { return fail(std::to_string(line) + ": " + why); };
  size_t i = at(0, "\xEF\xBB\xBF") ? 3 : 0;  // a byte-order mark (Windows editors)
  auto quote_run = [&](char q) {
    size_t n = 0;
    while (i + n < text.size() && text[i + n] == q) ++n;
    return n;
  };
  while (i < text.size()) {
    const char ch = text[i];
    const auto byte = static_cast<unsigned char>(ch);
    if ((byte < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || byte == 0x7F)
      return refuse("a control character (byte " + std::to_string(byte) + ")");
    if (byte >= 0x80) {
      const size_t len = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 0;
      if (len == 0 || i + len > text.size() || !is_valid_utf8(text.substr(i, len)))
        return refuse("not valid UTF-8 (save the file as UTF-8)");
      std::uint32_t cp = byte & (0x7Fu >> len);
      for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
      if (in == In::Code) return refuse("a character that is not plain ASCII outside quotes (put text in \"quotes\")");
      if (in == In::Comment) {
        out += '?';
      } else {
        char esc[12];
        std::snprintf(esc, sizeof esc, cp > 0xFFFF ? "\\U%08X" : "\\u%04X", static_cast<unsigned>(cp));
        out += esc;
      }
      i += len;
      continue;
    }
    if (ch == '\n') {
      ++line;
      if (in == In::Comment || in == In::Basic || in == In::Literal) in = In::Code;  // toml++ reports the rest
      out += ch;
      ++i;
      continue;
    }
    switch (in) {
      case In::Code:
        if (ch == '#') in = In::Comment;
        if (ch == '"' || ch == '\'') {
          const bool multi = quote_run(ch) >= 3;
          in = ch == '"' ? (multi ? In::MultiBasic : In::Basic) : (multi ? In::MultiLiteral : In::Literal);
          out += multi ? "\"\"\"" : "\"";
          i += multi ? 3 : 1;
          continue;
        }
        break;
      case In::Comment:
        break;
      case In::Basic:
      case In::MultiBasic:
        if (ch == '\\' && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0x80 &&
            text[i + 1] != '\n') {
          out.append(text.substr(i, 2));  // an escape, kept as written
          i += 2;
          continue;
        }
        if (ch == '"' && in == In::Basic) in = In::Code;
        if (ch == '"' && in == In::MultiBasic && quote_run('"') >= 3) {
          const size_t n = quote_run('"');  // up to two quotes of content, then the closing three
          out.append(n, '"');
          i += n;
          in = In::Code;
          continue;
        }
        break;
      case In::Literal:
      case In::MultiLiteral:
        if (ch == '\'' && (in == In::Literal || quote_run('\'') >= 3)) {
          const size_t n = in == In::Literal ? 1 : quote_run('\'');
          out.append(n - (in == In::Literal ? 1 : 3), '\'');  // quotes of content before the closing three
          out += in == In::Literal ? "\"" : "\"\"\"";
          i += n;
          in = In::Code;
          continue;
        }
        if (ch == '\\' || ch == '"') {  // literal text, escaped for a basic string
          out += '\\';
          out += ch;
          ++i;
          continue;
        }
        break;
    }
    out += ch;
    ++i;
  }
  return out;
}

template <typename T>
Status read(const toml::table& t, const char* key, T& out) {
  const toml::node* n = t.get(key);
  if (!n) return {};
  if constexpr (std::is_same_v<T, std::string>) {
    if (!n->is_string()) return fail(std::string("key ") + key + " must be a string");
    out = *n->value<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!n->is_boolean()) return fail(std::string("key ") + key + " must be true or false");
    out = *n->value<bool>();
  } else if constexpr (std::is_same_v<T, int>) {
    if (!n->is_integer()) return fail(std::string("key ") + key + " must be a whole number");
    const std::int64_t v = *n->value<std::int64_t>();
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
      return fail(std::string("key ") + key + " is out of range");
    out = static_cast<int>(v);
  } else if constexpr (std::is_same_v<T, double>) {
    if (!n->is_number()) return fail(std::string("key ") + key + " must be a number");
    out = *n->value<double>();
  } else {
    if (!n->is_array()) return fail(std::string("key ") + key + " must be a list of strings");
    out.clear();
    for (const auto& e : *n->as_array()) {
      if (!e.is_string()) return fail(std::string("key ") + key + " must be a list of strings");
      out.push_back(*e.value<std::string>());
    }
  }
  return {};
}

}  // namespace

Result<Config> load_config(const std::string& path, Config c) {
  auto text = read_file_bytes(path, 1u << 20);
  if (!text) return text.error().context("config");
  return parse_config(*text, path, std::move(c));
}

Result<Config> parse_config(std::string_view text, const std::string& path, Config c) {
  auto ascii = ascii_toml(text);
  if (!ascii) return fail("config " + path + ":" + ascii.error().message);
  toml::table t;
  try {
    t = toml::parse(*ascii, path);
  } catch (const toml::parse_error& err) {
    return fail("config " + path + ":" + std::to_string(err.source().begin.line) + ": " +
                std::string(err.description()));
  }
  static const std::set<std::string> known = {"db",
                                              "shelter_id",
                                              "device_id",
                                              "shelter_name",
                                              "camera",
                                              "device",
                                              "camera_width",
                                              "camera_height",
                                              "camera_fps",
                                              "camera_format",
                                              "replay",
                                              "replay_fps",
                                              "window_width",
                                              "window_height",
                                              "fullscreen",
                                              "screen_dpi",
                                              "language",
                                              "assets",
                                              "idle_seconds",
                                              "staff_idle_seconds",
                                              "staff_pin_hash",
                                              "pin_tries",
                                              "pin_lock_seconds",
                                              "demo",
                                              "print_command",
                                              "export_dir",
                                              "ui_map",
                                              "screenshot_dir",
                                              "sounds"};
  for (const auto& [k, v] : t) {
    if (k.str() == "pass_key_file")
      return fail("config " + path +
                  ": pass_key_file is no longer used (passes are signed with the device's key, kept beside the "
                  "database): remove it");
    if (!known.count(std::string(k.str()))) return fail("config " + path + ": unknown key " + std::string(k.str()));
  }
  Status st;
  auto chain = [&](Status s) {
    if (st.ok() && !s.ok()) st = std::move(s);
  };
  chain(read(t, "db", c.db));
  chain(read(t, "shelter_id", c.shelter_id));
  chain(read(t, "device_id", c.device_id));
  chain(read(t, "shelter_name", c.shelter_name));
  chain(read(t, "camera", c.camera));
  chain(read(t, "device", c.device));
  chain(read(t, "camera_width", c.camera_width));
  chain(read(t, "camera_height", c.camera_height));
  chain(read(t, "camera_fps", c.camera_fps));
  chain(read(t, "camera_format", c.camera_format));
  chain(read(t, "replay", c.replay));
  chain(read(t, "replay_fps", c.replay_fps));
  chain(read(t, "window_width", c.window_width));
  chain(read(t, "window_height", c.window_height));
  chain(read(t, "fullscreen", c.fullscreen));
  chain(read(t, "screen_dpi", c.screen_dpi));
  chain(read(t, "language", c.language));
  chain(read(t, "assets", c.assets));
  chain(read(t, "idle_seconds", c.idle_seconds));
  chain(read(t, "staff_idle_seconds", c.staff_idle_seconds));
  chain(read(t, "staff_pin_hash", c.staff_pin_hash));
  chain(read(t, "pin_tries", c.pin_tries));
  chain(read(t, "pin_lock_seconds", c.pin_lock_seconds));
  chain(read(t, "demo", c.demo));
  chain(read(t, "print_command", c.print_command));
  chain(read(t, "export_dir", c.export_dir));
  chain(read(t, "ui_map", c.ui_map));
  chain(read(t, "screenshot_dir", c.screenshot_dir));
  chain(read(t, "sounds", c.sounds));
  if (!st) return st.error().context("config " + path);
  if (auto v = validate(c); !v) return v.error().context("config " + path);
  return c;
}

Status validate(const Config& c) {
  if (!is_valid_slug(c.shelter_id)) return fail("shelter_id '" + c.shelter_id + "' must be 1-32 of a-z 0-9 - _");
  if (!is_valid_slug(c.device_id)) return fail("device_id '" + c.device_id + "' must be 1-32 of a-z 0-9 - _");
  if (c.camera != "auto" && c.camera != "v4l2" && c.camera != "replay")
    return fail("camera must be auto, v4l2 or replay");
  if (c.camera_format != "auto" && c.camera_format != "mjpeg" && c.camera_format != "yuyv")
    return fail("camera_format must be auto, mjpeg or yuyv");
  if (c.window_width < 320 || c.window_height < 240) return fail("window size must be at least 320x240");
  if (c.screen_dpi < 50 || c.screen_dpi > 600) return fail("screen_dpi must be between 50 and 600");
  if (c.idle_seconds < 10 || c.staff_idle_seconds < 10) return fail("idle times must be at least 10 seconds");
  if (c.pin_tries < 1 || c.pin_tries > 10) return fail("pin_tries must be 1 to 10");
  if (c.pin_lock_seconds < 60 || c.pin_lock_seconds > 3600) return fail("pin_lock_seconds must be 60 to 3600");
  if (c.camera_width < 16 || c.camera_width > 8192 || c.camera_height < 16 || c.camera_height > 8192)
    return fail("camera size must be between 16x16 and 8192x8192");
  if (c.camera_fps < 1 || c.camera_fps > 240 || c.replay_fps < 1 || c.replay_fps > 240)
    return fail("camera_fps and replay_fps must be 1 to 240");
  return {};
}

}  // namespace shelter::kiosk
