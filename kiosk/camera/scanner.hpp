#pragma once
// The camera pipeline: a capture thread reads frames from a FrameSource into
// a one-frame "newest" slot; a decoder thread always takes the newest frame
// (older ones are dropped, never queued) and looks for QR codes. Neither
// thread touches UI state: the UI polls latest_frame() and drains
// take_detections() and take_camera_events(), and `wake` (thread-safe, e.g.
// SDL_PushEvent) tells it something is new.
//
// The capture thread also watches for the camera: while `present` says the
// device is not there, the camera is "not connected" and the thread looks
// again every `poll_every`; a camera plugged in later is opened within
// about that time, and one unplugged is dropped (and said) as soon as its
// read fails or `present` says so.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/qr_image.hpp"
#include "kiosk/camera/frame_source.hpp"
#include "kiosk/camera/motion.hpp"

namespace shelter::camera {

struct Detection {
  std::string text;
  int x[4] = {0, 0, 0, 0};  // corners in frame pixels
  int y[4] = {0, 0, 0, 0};
  int frame_width = 0;
  int frame_height = 0;
  std::uint64_t frame_seq = 0;
  std::chrono::steady_clock::time_point captured{};  // when the frame was taken
  std::chrono::steady_clock::time_point decoded{};
};

// What the camera is doing, for the screen. Posted on every change.
enum class CameraState { Starting, Live, NotConnected, Failed };
struct CameraEvent {
  CameraState state = CameraState::Starting;
  std::string text;  // the source's describe(), or why it is not live
};

struct ScannerStats {
  std::uint64_t frames = 0;     // captured
  std::uint64_t held_back = 0;  // captured but not decoded: nothing moved (motion.hpp)
  std::uint64_t shown = 0;      // decoded and handed to the preview (the QR decoder gets every decoded frame)
  bool moving = false;          // full speed: something moved or a code was seen lately
  std::uint64_t decoded = 0;    // frames the decoder looked at
  std::uint64_t found = 0;      // detections reported (after de-duplication)
  double last_decode_ms = 0;
  std::string camera;  // describe() of the open source, or the last error
  CameraState state = CameraState::Starting;
  bool camera_ok() const { return state == CameraState::Live; }
};

class Scanner {
 public:
  using SourceFactory = std::function<Result<std::unique_ptr<FrameSource>>()>;
  struct Options {
    // The same code seen again within this time is not reported again; the
    // window restarts while the code stays in view.
    std::chrono::milliseconds repeat_after{4000};
    // After the camera fails to open or read, the first reopen waits this
    // long, doubling to max_reopen_delay.
    std::chrono::milliseconds reopen_delay{250};
    std::chrono::milliseconds max_reopen_delay{2000};
    // Whether the camera's device is there (e.g. /dev/shelter-camera exists);
    // empty: always. Asked from the capture thread every poll_every.
    std::function<bool()> present{};
    std::chrono::milliseconds poll_every{500};
    std::string absent_text = "camera not connected";  // the event's text while it is not there
    // Decode only frames that differ from the last one decoded, plus a slow
    // preview while nothing moves (motion.hpp). false: every frame.
    bool gate_frames = true;
    MotionGate::Options motion{};
    // While nothing moves, the preview takes a frame this often (the QR
    // decoder still gets one every motion.idle_every).
    std::chrono::milliseconds idle_preview_every{5000};
  };

  Scanner(SourceFactory factory, Options options, std::function<void()> wake);
  ~Scanner();
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  void start();
  void stop();

  // The newest frame if it is newer than `have_seq`.
  std::shared_ptr<const Frame> latest_frame(std::uint64_t have_seq) const;
  // New detections since the last call, oldest first.
  std::vector<Detection> take_detections();
  // Camera state changes since the last call, oldest first.
  std::vector<CameraEvent> take_camera_events();
  // The last place a code was seen, for the preview outline (kept briefly).
  std::optional<Detection> last_outline(std::chrono::milliseconds max_age) const;
  // Forget the de-duplication memory, so that the same card can be scanned
  // again at once (after the UI has returned to the welcome screen).
  void reset_repeat_filter();
  ScannerStats stats() const;

 private:
  void capture_loop();
  void decode_loop();
  // The motion gate's verdict on a captured frame (capture thread).
  bool admit(Frame& frame);
  bool present() const { return !options_.present || options_.present(); }
  // Records the camera's state and posts an event if it changed (locks mu_).
  void set_state(CameraState state, const std::string& text);
  // Sleeps up to `d` in small steps, so that stop() is prompt.
  void pause(std::chrono::milliseconds d) const;

  SourceFactory factory_;
  Options options_;
  std::function<void()> wake_;
  qrimage::QrReader reader_;

  mutable std::mutex mu_;
  std::condition_variable frame_cv_;
  std::shared_ptr<const Frame> newest_;   // for the decoder
  std::shared_ptr<const Frame> preview_;  // for the UI (latest_frame)
  std::chrono::steady_clock::time_point last_preview_{};
  std::vector<Detection> pending_;
  std::vector<CameraEvent> camera_events_;
  std::optional<Detection> outline_;
  std::string last_text_;
  std::chrono::steady_clock::time_point last_seen_{};
  ScannerStats stats_;

  MotionGate gate_;  // capture thread only
  // When the decoder last found a code (steady_clock ticks): keeps full speed.
  std::atomic<std::int64_t> last_found_{0};
  std::atomic<bool> running_{false};
  std::thread capture_, decoder_;
};

}  // namespace shelter::camera
