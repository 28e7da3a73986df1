#include "core/jpeg.hpp"

#include <turbojpeg.h>

#include <climits>
#include <memory>
#include <string>

namespace shelter::jpeg {
namespace {

struct HandleCloser {
  void operator()(void* h) const { tjDestroy(h); }
};

// One decompressor per thread, made on first use: the kiosk's capture thread
// decodes frame after frame, and a handle is not to be shared.
std::unique_ptr<void, HandleCloser>& thread_handle() {
  thread_local std::unique_ptr<void, HandleCloser> handle;
  return handle;
}

tjhandle decompressor() {
  auto& handle = thread_handle();
  if (!handle) handle.reset(tjInitDecompress());
  return handle.get();
}

// A failed header read leaves TurboJPEG 2.1's handle mid-stream, and the next
// file would fail with "SOS before SOF": after an error the handle is dropped.
Status error(tjhandle h, const char* what) {
  Status s = fail(std::string("JPEG: ") + what + ": " + tjGetErrorStr2(h));
  thread_handle().reset();
  return s;
}

// The picture's size from its header; an error when it is no JPEG.
Status read_size(const std::uint8_t* data, size_t size, int& width, int& height) {
  if (data == nullptr || size == 0) return fail("JPEG: empty buffer");
  if (size > static_cast<size_t>(ULONG_MAX)) return fail("JPEG: data too large");
  tjhandle h = decompressor();
  if (h == nullptr) return fail("JPEG: cannot start the decoder");
  int w = 0, ht = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(h, data, static_cast<unsigned long>(size), &w, &ht, &subsamp, &colorspace) != 0)
    return error(h, "read header");
  if (w <= 0 || ht <= 0) return fail("JPEG: no picture size in the header");
  width = w;
  height = ht;
  return {};
}

}  // namespace

Status decode(const std::uint8_t* data, size_t size, Pixels pixels, int scale, const Limits& limits, Image& out,
              Warnings warnings) {
  if (scale != 1 && scale != 2 && scale != 4 && scale != 8) return fail("JPEG: scale must be 1, 2, 4 or 8");
  int w = 0, h = 0;
  if (Status s = read_size(data, size, w, h); !s) return s;
  const std::string dims = std::to_string(w) + "x" + std::to_string(h);
  if (w > limits.max_side || h > limits.max_side)
    return fail("JPEG: " + dims + " is larger than " + std::to_string(limits.max_side) + "x" +
                std::to_string(limits.max_side));
  if (static_cast<long long>(w) * h > limits.max_pixels) return fail("JPEG: picture is " + dims + " pixels: too large");
  const tjscalingfactor factor{1, scale};
  const int sw = TJSCALED(w, factor), sh = TJSCALED(h, factor);
  const int channels = pixels == Pixels::Gray ? 1 : 3;
  // Decode into a scratch buffer so that a failure leaves `out` alone.
  thread_local std::vector<std::uint8_t> scratch;
  scratch.resize(static_cast<size_t>(sw) * sh * channels);
  tjhandle handle = decompressor();
  if (tjDecompress2(handle, data, static_cast<unsigned long>(size), scratch.data(), sw, sw * channels, sh,
                    pixels == Pixels::Gray ? TJPF_GRAY : TJPF_RGB, 0) != 0 &&
      (warnings == Warnings::Fail || tjGetErrorCode(handle) != TJERR_WARNING))
    return error(handle, "decode");
  out.width = sw;
  out.height = sh;
  out.full_width = w;
  out.full_height = h;
  out.pixels.swap(scratch);
  return {};
}

}  // namespace shelter::jpeg
