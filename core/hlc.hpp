#pragma once
// Hybrid logical clock (Kulkarni et al.): a 64-bit timestamp whose upper 48
// bits are wall-clock milliseconds and lower 16 bits a counter. It never goes
// backwards on one device even if the wall clock does, and it moves past any
// timestamp it has seen from another device, so "later" in the merge rules
// respects causality.
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace shelter {

using Hlc = std::uint64_t;

inline constexpr std::int64_t hlc_millis(Hlc h) {
  return static_cast<std::int64_t>(h >> 16);
}
inline constexpr std::uint16_t hlc_counter(Hlc h) {
  return static_cast<std::uint16_t>(h & 0xFFFF);
}
inline constexpr Hlc make_hlc(std::int64_t millis, std::uint16_t counter) {
  return (static_cast<Hlc>(millis) << 16) | counter;
}
// "2026-11-24T03:40:00.123Z+5" (the counter after '+'; omitted when 0).
std::string hlc_to_string(Hlc h);

std::int64_t system_millis();
// The current UTC time formatted by strftime, e.g. "%Y-%m-%dT%H:%M:%SZ".
std::string utc_now(const char* strftime_format);

class HybridClock {
 public:
  using WallClock = std::function<std::int64_t()>;  // milliseconds since the Unix epoch
  explicit HybridClock(WallClock wall = system_millis);

  // Timestamp for a new local event: strictly greater than every timestamp
  // this clock has issued or observed.
  Hlc now();

  // Takes a timestamp seen in another device's event into account. A remote
  // timestamp more than max_forward_ms ahead of our corrected wall clock is
  // not adopted (a tablet with a clock set a day ahead must not drag every
  // other device a day ahead); returns false in that case.
  bool observe(Hlc remote);
  // A timestamp for a new event about someone whose latest known event is
  // stamped `floor`: after it, whatever the wall clock says (a tablet three
  // hours behind must still record a leave after the arrival it knows). A
  // floor too far ahead of the corrected wall clock (see observe) is passed
  // for this event only: it is not adopted, so it cannot carry the future
  // into this device's stamps for everyone else.
  Hlc now_after(Hlc floor);
  // Moves past `own`, a stamp this device issued before (its own log),
  // within the same bound as observe: one stamp from a clock that was far
  // ahead must not drag every later event into the future. Own edits of one
  // person stay in order through now_after, which the store calls with that
  // person's latest stamp.
  bool resume_after(Hlc own);

  // Offset added to the wall clock, as measured against the server at the
  // last sync (server time - local time).
  void set_offset_ms(std::int64_t offset);
  std::int64_t offset_ms() const;
  void set_max_forward_ms(std::int64_t ms);

  Hlc last() const;

 private:
  std::int64_t wall_now() const;
  Hlc next_locked();
  mutable std::mutex mu_;
  WallClock wall_;
  Hlc last_ = 0;
  std::int64_t offset_ = 0;
  std::int64_t max_forward_ = 5 * 60 * 1000;
};

}  // namespace shelter
