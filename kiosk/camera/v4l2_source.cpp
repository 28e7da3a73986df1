// A webcam through V4L2 directly: mmap streaming, MJPEG or YUYV. No libv4l:
// the two formats every UVC webcam offers are converted here.
#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "kiosk/camera/frame_source.hpp"

namespace shelter::camera {
namespace {

constexpr std::uint32_t kBufferCount = 4;
constexpr int kMaxSide = 8192;
// Webcams send the odd corrupt or short frame (often right after STREAMON);
// those are skipped. A camera that sends nothing usable for this many frames
// in a row (about 2 s at 30 fps) is reported as broken so the caller reopens it.
constexpr int kMaxBadFramesInRow = 60;

int xioctl(int fd, unsigned long request, void* arg) {
  int r;
  do r = ioctl(fd, request, arg);
  while (r == -1 && errno == EINTR);
  return r;
}

std::string fourcc_name(std::uint32_t f) {
  std::string s;
  for (int i = 0; i < 4; ++i) {
    const char c = static_cast<char>((f >> (8 * i)) & 0x7F);
    s += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  if (f & (1u << 31)) s += "-BE";
  return s;
}

std::string format_label(std::uint32_t f) {
  if (f == V4L2_PIX_FMT_MJPEG) return "MJPEG";
  return fourcc_name(f);
}

bool is_jpeg(std::uint32_t f) {
  return f == V4L2_PIX_FMT_MJPEG || f == V4L2_PIX_FMT_JPEG;
}

class V4l2Source final : public FrameSource {
 public:
  explicit V4l2Source(std::string device) : device_(std::move(device)) {}
  V4l2Source(const V4l2Source&) = delete;
  V4l2Source& operator=(const V4l2Source&) = delete;

  ~V4l2Source() override {
    if (streaming_) {
      v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      xioctl(fd_, VIDIOC_STREAMOFF, &type);  // best effort: close() stops it too
    }
    for (const Buffer& b : buffers_)
      if (b.start != MAP_FAILED) munmap(b.start, b.length);
    if (fd_ >= 0) close(fd_);
  }

  // Opens, negotiates and starts streaming. On failure the destructor
  // releases whatever was set up.
  Status start(const V4l2Options& o, std::uint32_t want) {
    fd_ = open(device_.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) {
      const int err = errno;
      std::string msg = "open " + device_ + ": " + std::strerror(err);
      if (err == EACCES) msg += " (is the kiosk user in the 'video' group?)";
      return fail(msg);
    }
    struct stat st {};
    if (fstat(fd_, &st) != 0) return errno_error("stat", errno);
    if (!S_ISCHR(st.st_mode)) return fail(prefix() + "not a video device (not a character device)");

    v4l2_capability cap{};
    if (xioctl(fd_, VIDIOC_QUERYCAP, &cap) != 0) {
      const int err = errno;
      if (err == ENOTTY || err == EINVAL)
        return fail(prefix() + "not a V4L2 device (VIDIOC_QUERYCAP: " + std::strerror(err) + ")");
      return errno_error("query capabilities", err);
    }
    // device_caps describes this node; capabilities the whole physical device.
    const std::uint32_t caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE)) {
      std::string msg = prefix() + "not a video capture device";
      if (caps & V4L2_CAP_META_CAPTURE)
        msg += " (a webcam's metadata node; its picture is on another /dev/video*)";
      else if (caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE)
        msg += " (multi-planar capture is not supported)";
      return fail(msg);
    }
    if (!(caps & V4L2_CAP_STREAMING)) return fail(prefix() + "driver does not support streaming I/O");

    // Pick the pixel format among those the camera offers.
    std::vector<std::uint32_t> offered;
    for (std::uint32_t i = 0;; ++i) {
      v4l2_fmtdesc desc{};
      desc.index = i;
      desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      if (xioctl(fd_, VIDIOC_ENUM_FMT, &desc) != 0) {
        if (errno == EINVAL) break;  // end of the list
        return errno_error("list formats", errno);
      }
      offered.push_back(desc.pixelformat);
    }
    auto has = [&](std::uint32_t f) { return std::find(offered.begin(), offered.end(), f) != offered.end(); };
    std::uint32_t chosen = 0;
    if (want == 0 || want == V4L2_PIX_FMT_MJPEG) {
      // 'JPEG' is the same thing under another name on some cameras.
      if (has(V4L2_PIX_FMT_MJPEG))
        chosen = V4L2_PIX_FMT_MJPEG;
      else if (has(V4L2_PIX_FMT_JPEG))
        chosen = V4L2_PIX_FMT_JPEG;
    }
    if (chosen == 0 && (want == 0 || want == V4L2_PIX_FMT_YUYV) && has(V4L2_PIX_FMT_YUYV)) chosen = V4L2_PIX_FMT_YUYV;
    if (chosen == 0) {
      std::string list;
      for (std::uint32_t f : offered) list += (list.empty() ? "" : ", ") + fourcc_name(f);
      if (list.empty()) list = "nothing";
      const std::string missing = want == 0 ? "neither MJPEG nor YUYV" : "no " + format_label(want);
      return fail(prefix() + "offers " + missing + " (offers " + list + ")");
    }

    v4l2_format fmt{};
    fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    fmt.fmt.pix.width = static_cast<std::uint32_t>(o.width);
    fmt.fmt.pix.height = static_cast<std::uint32_t>(o.height);
    fmt.fmt.pix.pixelformat = chosen;
    fmt.fmt.pix.field = V4L2_FIELD_ANY;
    if (xioctl(fd_, VIDIOC_S_FMT, &fmt) != 0)
      return errno_error(
          "set format " + std::to_string(o.width) + "x" + std::to_string(o.height) + " " + format_label(chosen), errno);
    // The driver adjusts the size to one it supports; that is fine, but not
    // a different pixel format.
    if (fmt.fmt.pix.pixelformat != chosen)
      return fail(prefix() + "driver switched the format to " + fourcc_name(fmt.fmt.pix.pixelformat) + " instead of " +
                  format_label(chosen));
    if (fmt.fmt.pix.width == 0 || fmt.fmt.pix.height == 0 || fmt.fmt.pix.width > kMaxSide ||
        fmt.fmt.pix.height > kMaxSide)
      return fail(prefix() + "driver chose an unusable size " + std::to_string(fmt.fmt.pix.width) + "x" +
                  std::to_string(fmt.fmt.pix.height));
    format_ = chosen;
    width_ = static_cast<int>(fmt.fmt.pix.width);
    height_ = static_cast<int>(fmt.fmt.pix.height);
    stride_ = std::max<size_t>(fmt.fmt.pix.bytesperline, static_cast<size_t>(width_) * 2);

    if (o.fps > 0) {
      // Not every driver lets the rate be set; the default rate is acceptable.
      v4l2_streamparm parm{};
      parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      parm.parm.capture.timeperframe.numerator = 1;
      parm.parm.capture.timeperframe.denominator = static_cast<std::uint32_t>(o.fps);
      xioctl(fd_, VIDIOC_S_PARM, &parm);
    }

    v4l2_requestbuffers req{};
    req.count = kBufferCount;
    req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    req.memory = V4L2_MEMORY_MMAP;
    if (xioctl(fd_, VIDIOC_REQBUFS, &req) != 0) return errno_error("request buffers", errno);
    if (req.count < 2) return fail(prefix() + "driver granted only " + std::to_string(req.count) + " buffer(s)");

    buffers_.resize(req.count);
    for (std::uint32_t i = 0; i < req.count; ++i) {
      v4l2_buffer buf{};
      buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buf.memory = V4L2_MEMORY_MMAP;
      buf.index = i;
      if (xioctl(fd_, VIDIOC_QUERYBUF, &buf) != 0) return errno_error("query buffer", errno);
      void* p = mmap(nullptr, buf.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, buf.m.offset);
      if (p == MAP_FAILED) return errno_error("map buffer", errno);
      buffers_[i] = Buffer{p, buf.length};
    }
    for (std::uint32_t i = 0; i < req.count; ++i) {
      v4l2_buffer buf{};
      buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buf.memory = V4L2_MEMORY_MMAP;
      buf.index = i;
      if (xioctl(fd_, VIDIOC_QBUF, &buf) != 0) return errno_error("queue buffer", errno);
    }
    v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(fd_, VIDIOC_STREAMON, &type) != 0) return errno_error("start streaming", errno);
    streaming_ = true;
    return {};
  }

  std::string describe() const override {
    return "v4l2 " + device_ + " " + std::to_string(width_) + "x" + std::to_string(height_) + " " +
           format_label(format_);
  }

  Result<bool> next(Frame& out, std::chrono::milliseconds timeout) override {
    pollfd pfd{fd_, POLLIN, 0};
    const int ms = static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(timeout.count(), 0, INT_MAX));
    const int n = poll(&pfd, 1, ms);
    if (n < 0) {
      if (errno == EINTR) return false;
      return errno_error("wait for frame", errno);
    }
    if (n == 0) return false;
    if (!(pfd.revents & POLLIN)) {
      // POLLERR without data: unplugged, or the driver gave up streaming.
      // A second ioctl tells the two apart.
      v4l2_capability cap{};
      if (xioctl(fd_, VIDIOC_QUERYCAP, &cap) != 0 && errno == ENODEV) return unplugged();
      return fail(prefix() + "streaming stopped (device error)");
    }

    v4l2_buffer buf{};
    buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    buf.memory = V4L2_MEMORY_MMAP;
    if (xioctl(fd_, VIDIOC_DQBUF, &buf) != 0) {
      const int err = errno;
      if (err == EAGAIN) return false;
      if (err == ENODEV) return unplugged();
      return errno_error("capture frame", err);
    }
    if (buf.index >= buffers_.size()) return fail(prefix() + "driver returned an unknown buffer");

    const auto captured = capture_time(buf);
    const Buffer& b = buffers_[buf.index];
    const size_t used = std::min<size_t>(buf.bytesused, b.length);
    const auto* data = static_cast<const std::uint8_t*>(b.start);
    std::string bad;  // why this frame is skipped; empty: `out` holds it
    if (buf.flags & V4L2_BUF_FLAG_ERROR) {
      bad = "frame marked corrupt by the driver";
    } else if (used == 0) {
      bad = "empty frame";
    } else if (is_jpeg(format_)) {
      Status s = take_mjpeg(data, used, out);
      if (!s) bad = s.error().message;
    } else {
      const size_t need = stride_ * static_cast<size_t>(height_ - 1) + static_cast<size_t>(width_) * 2;
      if (used < need) {
        bad = "short frame (" + std::to_string(used) + " of " + std::to_string(need) + " bytes)";
      } else {
        const size_t pixels = static_cast<size_t>(width_) * static_cast<size_t>(height_);
        out.width = width_;
        out.height = height_;
        out.mjpeg.clear();
        out.gray.resize(pixels);
        out.rgb.resize(pixels * 3);
        yuyv_to_gray(data, width_, height_, static_cast<int>(stride_), out.gray.data());
        yuyv_to_rgb(data, width_, height_, static_cast<int>(stride_), out.rgb.data());
      }
    }

    // Hand the buffer back whatever became of the frame, or the driver runs dry.
    if (xioctl(fd_, VIDIOC_QBUF, &buf) != 0) {
      const int err = errno;
      if (err == ENODEV) return unplugged();
      return errno_error("requeue buffer", err);
    }

    if (!bad.empty()) {
      if (++bad_in_row_ >= kMaxBadFramesInRow)
        return fail(prefix() + std::to_string(bad_in_row_) + " unusable frames in a row (last: " + bad + ")");
      return false;
    }
    bad_in_row_ = 0;
    out.captured = captured;
    return true;
  }

 private:
  struct Buffer {
    void* start = MAP_FAILED;
    size_t length = 0;
  };

  std::string prefix() const { return "camera " + device_ + ": "; }
  Error errno_error(std::string_view what, int err) const {
    if (err == ENODEV) return unplugged();
    return fail(prefix() + std::string(what) + ": " + std::strerror(err));
  }
  Error unplugged() const { return fail("camera " + device_ + " was unplugged"); }

  // The driver's timestamp (start of exposure or end of transfer) is closer
  // to the truth than the time we got round to dequeuing. It is used when it
  // is on the monotonic clock, which is steady_clock's on Linux, and sane.
  static std::chrono::steady_clock::time_point capture_time(const v4l2_buffer& buf) {
    const auto now = std::chrono::steady_clock::now();
    if ((buf.flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) != V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC) return now;
    const std::chrono::steady_clock::time_point t{std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::seconds(buf.timestamp.tv_sec) + std::chrono::microseconds(buf.timestamp.tv_usec))};
    if (t > now || now - t > std::chrono::seconds(1)) return now;
    return t;
  }

  std::string device_;
  int fd_ = -1;
  std::vector<Buffer> buffers_;
  bool streaming_ = false;
  std::uint32_t format_ = 0;
  int width_ = 0;
  int height_ = 0;
  size_t stride_ = 0;  // bytes per YUYV row
  int bad_in_row_ = 0;
};

}  // namespace

Result<std::unique_ptr<FrameSource>> open_v4l2(const V4l2Options& options) {
  // Check the options first: a typo should not depend on the camera being there.
  std::string format = options.format;
  std::transform(format.begin(), format.end(), format.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::uint32_t want = 0;
  if (format == "mjpeg")
    want = V4L2_PIX_FMT_MJPEG;
  else if (format == "yuyv")
    want = V4L2_PIX_FMT_YUYV;
  else if (format != "auto")
    return fail("camera " + options.device + ": unknown format '" + options.format + "' (auto, mjpeg or yuyv)");
  if (options.width <= 0 || options.height <= 0 || options.width > kMaxSide || options.height > kMaxSide)
    return fail("camera " + options.device + ": bad size " + std::to_string(options.width) + "x" +
                std::to_string(options.height));

  auto source = std::make_unique<V4l2Source>(options.device);
  if (Status s = source->start(options, want); !s) return s.error();
  return std::unique_ptr<FrameSource>(std::move(source));
}

}  // namespace shelter::camera
