#include "kiosk/camera/scanner.hpp"

#include <algorithm>

namespace shelter::camera {

Scanner::Scanner(SourceFactory factory, Options options, std::function<void()> wake)
    : factory_(std::move(factory)), options_(options), wake_(std::move(wake)), gate_(options.motion) {}

Scanner::~Scanner() {
  stop();
}

void Scanner::start() {
  if (running_.exchange(true)) return;
  capture_ = std::thread([this] { capture_loop(); });
  decoder_ = std::thread([this] { decode_loop(); });
}

void Scanner::stop() {
  if (!running_.exchange(false)) return;
  frame_cv_.notify_all();
  if (capture_.joinable()) capture_.join();
  if (decoder_.joinable()) decoder_.join();
}

void Scanner::set_state(CameraState state, const std::string& text) {
  {
    std::lock_guard lock(mu_);
    if (state == stats_.state && text == stats_.camera) return;
    stats_.state = state;
    stats_.camera = text;
    camera_events_.push_back(CameraEvent{state, text});
  }
  if (wake_) wake_();
}

void Scanner::pause(std::chrono::milliseconds d) const {
  const auto step = std::chrono::milliseconds(20);
  for (auto waited = std::chrono::milliseconds(0); running_ && waited < d; waited += step)
    std::this_thread::sleep_for(std::min(step, d - waited));
}

void Scanner::capture_loop() {
  using std::chrono::steady_clock;
  std::unique_ptr<FrameSource> source;
  auto delay = options_.reopen_delay;
  std::uint64_t seq = 0;
  std::shared_ptr<Frame> frame;
  auto next_look = steady_clock::now() + options_.poll_every;
  while (running_) {
    if (!source) {
      if (!present()) {
        // Not there: look again soon (no back-off, so that a camera plugged
        // in is taken at once).
        set_state(CameraState::NotConnected, options_.absent_text);
        delay = options_.reopen_delay;
        pause(options_.poll_every);
        continue;
      }
      auto opened = factory_();
      if (!opened) {
        set_state(CameraState::Failed, opened.error().message);
        pause(delay);
        delay = std::min(delay * 2, std::max(options_.reopen_delay, options_.max_reopen_delay));
        continue;
      }
      source = std::move(opened).value();
      set_state(CameraState::Live, source->describe());
      delay = options_.reopen_delay;
      next_look = steady_clock::now() + options_.poll_every;
    }
    // A device that went away may not fail its reads at once (or at all:
    // a replayed folder that was removed): ask while it plays too.
    if (options_.present && steady_clock::now() >= next_look) {
      next_look = steady_clock::now() + options_.poll_every;
      if (!present()) {
        source.reset();
        set_state(CameraState::NotConnected, options_.absent_text);
        continue;
      }
    }
    // Reused while the gate holds frames back: a 720p frame's buffers are
    // megabytes, and fresh ones each time would fault in new pages.
    if (!frame) frame = std::make_shared<Frame>();
    auto got = source->next(*frame, std::chrono::milliseconds(100));
    if (!got) {
      source.reset();
      if (!present())
        set_state(CameraState::NotConnected, options_.absent_text);
      else
        set_state(CameraState::Failed, got.error().message);
      continue;
    }
    if (!*got) continue;
    if (!admit(*frame)) continue;
    if (!frame->mjpeg.empty()) {
      // A frame whose thumbnail decoded but whose full decode fails is
      // skipped, as the source skips frames that do not decode at all.
      if (!decode_mjpeg(frame->mjpeg.data(), frame->mjpeg.size(), *frame)) continue;
    }
    frame->seq = ++seq;
    if (frame->captured == std::chrono::steady_clock::time_point{}) frame->captured = std::chrono::steady_clock::now();
    bool show = false;
    {
      std::lock_guard lock(mu_);
      // While nothing moves the picture stays the same: the preview, and so
      // the window's redraw, takes a still frame only now and then.
      const auto now = std::chrono::steady_clock::now();
      show = stats_.moving || !preview_ || now - last_preview_ >= options_.idle_preview_every;
      newest_ = std::move(frame);
      if (show) {
        preview_ = newest_;
        last_preview_ = now;
        ++stats_.shown;
      }
    }
    frame.reset();
    frame_cv_.notify_one();
    if (show && wake_) wake_();
  }
}

bool Scanner::admit(Frame& frame) {
  if (frame.mjpeg.empty()) gray_thumbnail(frame.gray.data(), frame.width, frame.height, frame.thumb);
  const auto now = std::chrono::steady_clock::now();
  const auto found_at = std::chrono::steady_clock::time_point(
      std::chrono::steady_clock::duration(last_found_.load(std::memory_order_relaxed)));
  if (found_at != std::chrono::steady_clock::time_point{}) gate_.touch(found_at);
  const bool admitted = !options_.gate_frames || gate_.admit(frame.thumb, now);
  std::lock_guard lock(mu_);
  ++stats_.frames;
  stats_.moving = gate_.active();
  if (!admitted) ++stats_.held_back;
  return admitted;
}

void Scanner::decode_loop() {
  std::uint64_t done_seq = 0;
  while (running_) {
    std::shared_ptr<const Frame> frame;
    {
      std::unique_lock lock(mu_);
      frame_cv_.wait_for(lock, std::chrono::milliseconds(200),
                         [&] { return !running_ || (newest_ && newest_->seq != done_seq); });
      if (!running_) return;
      if (!newest_ || newest_->seq == done_seq) continue;
      frame = newest_;
    }
    done_seq = frame->seq;
    const auto t0 = std::chrono::steady_clock::now();
    auto found = reader_.read_frame(frame->gray.data(), frame->width, frame->height, frame->width, frame->seq);
    const auto t1 = std::chrono::steady_clock::now();
    bool reported = false;
    {
      std::lock_guard lock(mu_);
      ++stats_.decoded;
      stats_.last_decode_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
      for (const auto& f : found) {
        Detection d;
        d.text = f.text;
        for (int i = 0; i < 4; ++i) {
          d.x[i] = f.x[i];
          d.y[i] = f.y[i];
        }
        d.frame_width = frame->width;
        d.frame_height = frame->height;
        d.frame_seq = frame->seq;
        d.captured = frame->captured;
        d.decoded = t1;
        outline_ = d;
        last_found_.store(t1.time_since_epoch().count(), std::memory_order_relaxed);
        const bool repeat = d.text == last_text_ && t1 - last_seen_ < options_.repeat_after;
        last_text_ = d.text;
        last_seen_ = t1;
        if (repeat) continue;
        pending_.push_back(std::move(d));
        ++stats_.found;
        reported = true;
      }
    }
    if (reported && wake_) wake_();
  }
}

std::shared_ptr<const Frame> Scanner::latest_frame(std::uint64_t have_seq) const {
  std::lock_guard lock(mu_);
  if (preview_ && preview_->seq != have_seq) return preview_;
  return nullptr;
}

std::vector<Detection> Scanner::take_detections() {
  std::lock_guard lock(mu_);
  std::vector<Detection> out;
  out.swap(pending_);
  return out;
}

std::vector<CameraEvent> Scanner::take_camera_events() {
  std::lock_guard lock(mu_);
  std::vector<CameraEvent> out;
  out.swap(camera_events_);
  return out;
}

std::optional<Detection> Scanner::last_outline(std::chrono::milliseconds max_age) const {
  std::lock_guard lock(mu_);
  if (outline_ && std::chrono::steady_clock::now() - outline_->decoded <= max_age) return outline_;
  return std::nullopt;
}

void Scanner::reset_repeat_filter() {
  std::lock_guard lock(mu_);
  last_text_.clear();
}

ScannerStats Scanner::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace shelter::camera
