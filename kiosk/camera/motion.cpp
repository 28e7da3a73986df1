#include "kiosk/camera/motion.hpp"

#include <cstdlib>

namespace shelter::camera {

int MotionGate::changed_blocks(const Thumbnail& thumb) const {
  int changed = 0;
  const size_t n = thumb.gray.size();
  for (size_t i = 0; i < n; ++i)
    changed +=
        std::abs(static_cast<int>(thumb.gray[i]) - static_cast<int>(reference_.gray[i])) > options_.block_threshold;
  return changed;
}

bool MotionGate::admit(const Thumbnail& thumb, Clock::time_point now) {
  const bool same_shape = thumb.width == reference_.width && thumb.height == reference_.height &&
                          thumb.gray.size() == reference_.gray.size() && !thumb.gray.empty();
  last_changed_ = same_shape ? changed_blocks(thumb) : static_cast<int>(thumb.gray.size());
  const bool changed = !same_shape || last_changed_ >= options_.min_blocks;
  if (changed) last_change_ = now;
  active_ = last_change_ != Clock::time_point{} && now - last_change_ < options_.hold;
  const bool idle_due = last_admit_ == Clock::time_point{} || now - last_admit_ >= options_.idle_every;
  if (!changed && !active_ && !idle_due) return false;
  // The reference follows what was let through, so slow changes (daylight)
  // are taken in at the idle rate rather than keeping the gate open.
  reference_ = thumb;
  last_admit_ = now;
  return true;
}

}  // namespace shelter::camera
