#pragma once
// Whether a camera frame is worth decoding. An empty hall sends 30 frames a
// second that all look alike; decoding each of them for QR codes and drawing
// it costs a third of a core, which on a battery tablet in a power cut is
// hours of runtime. The gate compares each frame's 1/8-size thumbnail with
// the last frame it let through: a change lets the frame through at once
// (full speed returns on the first frame that differs), and full speed stays
// for `hold` after the last change or the last code seen. While nothing
// moves, one frame every `idle_every` goes through, for the preview and for a
// code held perfectly still.
#include <algorithm>
#include <chrono>

#include "kiosk/camera/frame_source.hpp"

namespace shelter::camera {

class MotionGate {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    // A block (8x8 pixels) has changed when its mean moved by more than this
    // many gray levels. Sensor noise averages out over a block (sigma 10 per
    // pixel is about 1.3 per block); a hand or a card moves blocks by tens.
    int block_threshold = 10;
    // The frame has changed when at least this many blocks have (a 2 px per
    // module code entering the view covers a dozen blocks).
    int min_blocks = 3;
    std::chrono::milliseconds hold{2000};
    std::chrono::milliseconds idle_every{1000};
  };

  MotionGate() = default;
  explicit MotionGate(Options options) : options_(options) {}

  // true: decode and show this frame. Remembers it as the reference.
  bool admit(const Thumbnail& thumb, Clock::time_point now);
  // Keeps full speed (a code was just seen: the person is still there).
  void touch(Clock::time_point when) { last_change_ = std::max(last_change_, when); }
  // Whether the last admit() found a change or was within `hold` of one.
  bool active() const { return active_; }
  // How many blocks differed from the reference at the last admit().
  int last_changed_blocks() const { return last_changed_; }

 private:
  int changed_blocks(const Thumbnail& thumb) const;

  Options options_;
  Thumbnail reference_;
  Clock::time_point last_change_{};
  Clock::time_point last_admit_{};
  bool active_ = false;
  int last_changed_ = 0;
};

}  // namespace shelter::camera
