#include "kiosk/app/config.hpp"

#include "core/fs_util.hpp"

#include <set>

#include <toml++/toml.h>

#include "core/model.hpp"

namespace shelter::kiosk {

namespace {

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
    out = static_cast<int>(*n->value<std::int64_t>());
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
  toml::table t;
  try {
    t = toml::parse(text, path);
  } catch (const toml::parse_error& err) {
    return fail("config " + path + ":" + std::to_string(err.source().begin.line) + ": " + std::string(err.description()));
  }
  static const std::set<std::string> known = {
      "db", "shelter_id", "device_id", "shelter_name", "camera", "device", "camera_width", "camera_height", "camera_fps",
      "camera_format", "replay", "replay_fps", "window_width", "window_height", "fullscreen", "screen_dpi", "language",
      "assets", "idle_seconds", "staff_idle_seconds", "staff_pin_hash", "pin_tries", "pin_lock_seconds",
      "print_command", "export_dir", "pass_key_file", "ui_map", "screenshot_dir", "sounds"};
  for (const auto& [k, v] : t)
    if (!known.count(std::string(k.str()))) return fail("config " + path + ": unknown key " + std::string(k.str()));
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
  chain(read(t, "print_command", c.print_command));
  chain(read(t, "export_dir", c.export_dir));
  chain(read(t, "pass_key_file", c.pass_key_file));
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
  if (c.camera != "auto" && c.camera != "v4l2" && c.camera != "replay") return fail("camera must be auto, v4l2 or replay");
  if (c.camera_format != "auto" && c.camera_format != "mjpeg" && c.camera_format != "yuyv")
    return fail("camera_format must be auto, mjpeg or yuyv");
  if (c.window_width < 320 || c.window_height < 240) return fail("window size must be at least 320x240");
  if (c.screen_dpi < 50 || c.screen_dpi > 600) return fail("screen_dpi must be between 50 and 600");
  if (c.idle_seconds < 10 || c.staff_idle_seconds < 10) return fail("idle times must be at least 10 seconds");
  if (c.pin_tries < 1) return fail("pin_tries must be at least 1");
  if (c.pin_lock_seconds < 0) return fail("pin_lock_seconds must not be negative");
  if (c.camera_width < 16 || c.camera_width > 8192 || c.camera_height < 16 || c.camera_height > 8192)
    return fail("camera size must be between 16x16 and 8192x8192");
  if (c.camera_fps < 1 || c.camera_fps > 240 || c.replay_fps < 1 || c.replay_fps > 240)
    return fail("camera_fps and replay_fps must be 1 to 240");
  return {};
}

}  // namespace shelter::kiosk
