// The sync tab's links, from what the sync daemon wrote in the store's
// meta: its state lines and the hub's link as the hub last told it.
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

#include "kiosk/app/controller.hpp"

namespace shelter::kiosk {

namespace {

std::string local_time(std::time_t t) {
  std::tm local{};
  localtime_r(&t, &local);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d %H:%M", &local);
  return out;
}

// "2026-12-04 21:40:05Z" (the daemon's and the hub's stamps) in local
// time; "" when `text` does not start with one.
std::string local_of_utc(const std::string& text) {
  std::tm utc{};
  char z = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d %2d:%2d:%2d%c", &utc.tm_year, &utc.tm_mon, &utc.tm_mday, &utc.tm_hour,
                  &utc.tm_min, &utc.tm_sec, &z) != 7 ||
      z != 'Z')
    return "";
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  return local_time(timegm(&utc));
}

constexpr std::size_t kStampLength = 20;  // "2026-12-04 21:40:05Z"

}  // namespace

ui::SyncLinkVm sync_link_of(const std::string& state) {
  ui::SyncLinkVm link;
  auto starts = [&](const char* word) { return state.rfind(word, 0) == 0; };
  if (starts("ok ")) {
    link.health = ui::LinkHealth::Ok;
    link.when = local_of_utc(state.substr(3));
    return link;
  }
  if (!starts("error")) {
    link.detail = state;  // e.g. the hub has not been in contact with the city yet
    return link;
  }
  link.health = ui::LinkHealth::Error;
  std::string rest = state.substr(5);
  if (rest.rfind(" ", 0) == 0) rest.erase(0, 1);
  link.when = local_of_utc(rest);
  if (!link.when.empty()) rest.erase(0, kStampLength);
  if (rest.rfind(":", 0) == 0) rest.erase(0, 1);
  if (rest.rfind(" ", 0) == 0) rest.erase(0, 1);
  const std::string since = "; last success ";
  if (auto at = rest.rfind(since); at != std::string::npos) {
    link.last_ok = local_of_utc(rest.substr(at + since.size()));
    if (!link.last_ok.empty()) rest.erase(at);
  }
  link.detail = rest;
  return link;
}

ui::SyncLinkVm hub_city_link_of(const std::string& json) {
  const auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) return {};
  ui::SyncLinkVm link =
      sync_link_of(j.contains("state") && j["state"].is_string() ? j["state"].get<std::string>() : "");
  // The last relay that went through: the time of an ok, or the last
  // success beside an error.
  if (j.contains("last_relay") && j["last_relay"].is_number_integer()) {
    const std::string last = local_time(static_cast<std::time_t>(j["last_relay"].get<std::int64_t>() / 1000));
    (link.health == ui::LinkHealth::Ok ? link.when : link.last_ok) = last;
  }
  if (j.contains("waiting") && j["waiting"].is_number_integer()) link.waiting = j["waiting"].get<std::int64_t>();
  return link;
}

}  // namespace shelter::kiosk
