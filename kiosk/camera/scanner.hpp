#pragma once
// The camera pipeline: a capture thread reads frames from a FrameSource into
// a one-frame "newest" slot; a decoder thread always takes the newest frame
// (older ones are dropped, never queued) and looks for QR codes. Neither
// thread touches UI state: the UI polls latest_frame() and take_detections(),
// and `wake` (thread-safe, e.g. SDL_PushEvent) tells it something is new.
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

struct ScannerStats {
  std::uint64_t frames = 0;   // captured
  std::uint64_t decoded = 0;  // frames the decoder looked at
  std::uint64_t found = 0;    // detections reported (after de-duplication)
  double last_decode_ms = 0;
  std::string camera;  // describe() of the open source, or the last error
  bool camera_ok = false;
};

class Scanner {
 public:
  using SourceFactory = std::function<Result<std::unique_ptr<FrameSource>>()>;
  struct Options {
    // The same code seen again within this time is not reported again; the
    // window restarts while the code stays in view.
    std::chrono::milliseconds repeat_after{4000};
    // After the camera fails, the first reopen waits this long, doubling to 10 s.
    std::chrono::milliseconds reopen_delay{250};
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
  // The last place a code was seen, for the preview outline (kept briefly).
  std::optional<Detection> last_outline(std::chrono::milliseconds max_age) const;
  // Forget the de-duplication memory, so that the same card can be scanned
  // again at once (after the UI has returned to the welcome screen).
  void reset_repeat_filter();
  ScannerStats stats() const;

 private:
  void capture_loop();
  void decode_loop();

  SourceFactory factory_;
  Options options_;
  std::function<void()> wake_;
  qrimage::QrReader reader_;

  mutable std::mutex mu_;
  std::condition_variable frame_cv_;
  std::shared_ptr<const Frame> newest_;
  std::vector<Detection> pending_;
  std::optional<Detection> outline_;
  std::string last_text_;
  std::chrono::steady_clock::time_point last_seen_{};
  ScannerStats stats_;

  std::atomic<bool> running_{false};
  std::thread capture_, decoder_;
};

}  // namespace shelter::camera
