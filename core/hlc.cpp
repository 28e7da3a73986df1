#include "core/hlc.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace shelter {

std::int64_t system_millis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string hlc_to_string(Hlc h) {
  const std::int64_t ms = hlc_millis(h);
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  std::string out = buf;
  if (hlc_counter(h) != 0) out += "+" + std::to_string(hlc_counter(h));
  return out;
}

std::string utc_now(const char* strftime_format) {
  char buf[64];
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  const size_t n = std::strftime(buf, sizeof buf, strftime_format, &tm);
  return std::string(buf, n);
}

HybridClock::HybridClock(WallClock wall) : wall_(std::move(wall)) {}

std::int64_t HybridClock::wall_now() const {
  return wall_() + offset_;
}

Hlc HybridClock::now() {
  std::lock_guard lock(mu_);
  return next_locked();
}

Hlc HybridClock::next_locked() {
  const std::int64_t wall = wall_now();
  // A stamp far ahead of the wall clock came from a wall clock that was
  // wrong (set right since): it must not carry the future into every later
  // event. Per-person order and unique ids do not rest on this clock alone
  // (Store::record_locked).
  if (hlc_millis(last_) > wall + max_forward_) last_ = make_hlc(wall, 0);
  const std::int64_t last_ms = hlc_millis(last_);
  if (wall > last_ms) {
    last_ = make_hlc(wall, 0);
  } else if (hlc_counter(last_) == 0xFFFF) {
    last_ = make_hlc(last_ms + 1, 0);  // counter exhausted: borrow a millisecond
  } else {
    last_ += 1;
  }
  return last_;
}

Hlc HybridClock::now_after(Hlc floor) {
  std::lock_guard lock(mu_);
  const Hlc t = next_locked();
  if (t > floor) return t;
  const Hlc after = floor + 1;
  if (hlc_millis(after) <= wall_now() + max_forward_) last_ = after;
  return after;
}

bool HybridClock::resume_after(Hlc own) {
  std::lock_guard lock(mu_);
  if (hlc_millis(own) > wall_now() + max_forward_) return false;
  if (own > last_) last_ = own;
  return true;
}

bool HybridClock::observe(Hlc remote) {
  std::lock_guard lock(mu_);
  if (hlc_millis(remote) > wall_now() + max_forward_) return false;
  if (remote > last_) last_ = remote;
  return true;
}

void HybridClock::set_offset_ms(std::int64_t offset) {
  std::lock_guard lock(mu_);
  offset_ = offset;
}

std::int64_t HybridClock::offset_ms() const {
  std::lock_guard lock(mu_);
  return offset_;
}

void HybridClock::set_max_forward_ms(std::int64_t ms) {
  std::lock_guard lock(mu_);
  max_forward_ = ms;
}

Hlc HybridClock::last() const {
  std::lock_guard lock(mu_);
  return last_;
}

}  // namespace shelter
