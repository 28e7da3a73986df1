// Plays image files as if they came from a camera, at a fixed rate. PNG files
// are decoded once, when the source opens. JPEG files are recorded webcam
// frames: they are kept compressed and handed over as a webcam's MJPEG
// frames are (take_mjpeg), so playback costs what a real camera costs.
#include <algorithm>
#include <filesystem>
#include <thread>

#include "core/fs_util.hpp"
#include "core/qr_image.hpp"
#include "kiosk/camera/frame_source.hpp"

namespace shelter::camera {
namespace {

namespace fs = std::filesystem;

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

class ReplaySource final : public FrameSource {
 public:
  ReplaySource(std::vector<Frame> frames, std::string what, double fps, bool loop)
      : frames_(std::move(frames)),
        what_(std::move(what)),
        loop_(loop),
        period_(std::chrono::microseconds(static_cast<std::int64_t>(1e6 / std::clamp(fps, 0.1, 240.0)))) {}

  std::string describe() const override { return what_; }

  Result<bool> next(Frame& out, std::chrono::milliseconds timeout) override {
    if (!loop_ && index_ >= frames_.size()) {
      std::this_thread::sleep_for(timeout);
      return false;
    }
    const auto now = std::chrono::steady_clock::now();
    if (due_ == std::chrono::steady_clock::time_point{}) due_ = now;
    if (due_ > now) {
      if (due_ - now > timeout) {
        std::this_thread::sleep_for(timeout);
        return false;
      }
      std::this_thread::sleep_until(due_);
    }
    due_ += period_;
    // After a stall (debugger, suspended machine) do not replay a burst.
    if (due_ < std::chrono::steady_clock::now()) due_ = std::chrono::steady_clock::now() + period_;
    const Frame& f = frames_[index_ % frames_.size()];
    ++index_;
    if (!f.mjpeg.empty()) {
      if (Status s = take_mjpeg(f.mjpeg.data(), f.mjpeg.size(), out); !s) return s.error();
    } else {
      out.width = f.width;
      out.height = f.height;
      out.gray = f.gray;
      out.rgb = f.rgb;
      out.mjpeg.clear();
    }
    out.captured = std::chrono::steady_clock::now();
    return true;
  }

 private:
  std::vector<Frame> frames_;
  std::string what_;
  bool loop_;
  std::chrono::steady_clock::duration period_;
  std::chrono::steady_clock::time_point due_{};
  size_t index_ = 0;
};

}  // namespace

Result<std::unique_ptr<FrameSource>> open_replay(const ReplayOptions& options) {
  std::vector<fs::path> files;
  for (const auto& p : options.paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> in_dir;
      for (const auto& entry : fs::directory_iterator(p, ec))
        if (entry.is_regular_file() && is_image_name(entry.path())) in_dir.push_back(entry.path());
      if (ec) return fail("replay " + p + ": " + ec.message());
      std::sort(in_dir.begin(), in_dir.end());
      if (in_dir.empty()) return fail("replay " + p + ": no PNG or JPEG files in the folder");
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else if (fs::exists(p, ec)) {
      files.emplace_back(p);
    } else {
      return fail("replay " + p + ": no such file or folder");
    }
  }
  if (files.empty()) return fail("replay: no image files given");
  std::vector<Frame> frames;
  for (const auto& f : files) {
    Frame frame;
    std::string ext = f.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext != ".png") {
      // Recorded webcam frames are MJPEG: checked once here (at 1/8 size,
      // which reads every bit of the frame), then played as the camera's are.
      auto bytes = read_file_bytes(f.string(), 64u << 20);
      if (!bytes) return bytes.error().context("replay");
      const auto* data = reinterpret_cast<const std::uint8_t*>(bytes->data());
      if (auto st = take_mjpeg(data, bytes->size(), frame); !st) return st.error().context("replay " + f.string());
      frames.push_back(std::move(frame));
      continue;
    }
    auto img = qrimage::load_image(f.string());
    if (!img) return img.error().context("replay");
    frame.width = img->width;
    frame.height = img->height;
    frame.gray = std::move(img->pixels);
    frames.push_back(std::move(frame));
  }
  std::string what =
      "replay " +
      (options.paths.size() == 1 ? options.paths.front() : std::to_string(options.paths.size()) + " paths") + " (" +
      std::to_string(frames.size()) + " frame" + (frames.size() == 1 ? "" : "s") + ")";
  return std::unique_ptr<FrameSource>(new ReplaySource(std::move(frames), std::move(what), options.fps, options.loop));
}

}  // namespace shelter::camera
