#include "kiosk/platform/gl_preview.hpp"

#include <SDL_opengl.h>

namespace shelter::kiosk::platform {

GlPreview::GlPreview() {
  GLuint tex = 0;
  glGenTextures(1, &tex);
  tex_ = tex;
}

GlPreview::~GlPreview() {
  GLuint tex = tex_;
  glDeleteTextures(1, &tex);
}

bool GlPreview::update(camera::Scanner& scanner, ui::Preview& p, Clock::time_point now) {
  std::shared_ptr<const camera::Frame> frame;
  // No picture while the camera is not live (the controller said why).
  if (p.camera_ok() && now - last_ >= std::chrono::milliseconds(66)) frame = scanner.latest_frame(seq_);
  if (!frame) return false;
  last_ = now;
  seq_ = frame->seq;
  const size_t n = static_cast<size_t>(frame->width) * frame->height;
  if (frame->rgb.size() == n * 3) {
    rgb_ = frame->rgb;
  } else {
    rgb_.resize(n * 3);
    for (size_t i = 0; i < n; ++i) rgb_[i * 3] = rgb_[i * 3 + 1] = rgb_[i * 3 + 2] = frame->gray[i];
  }
  glBindTexture(GL_TEXTURE_2D, tex_);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  // Same size as before: update in place rather than reallocate.
  if (p.width == frame->width && p.height == frame->height)
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, frame->width, frame->height, GL_RGB, GL_UNSIGNED_BYTE, rgb_.data());
  else
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGB, frame->width, frame->height, 0, GL_RGB, GL_UNSIGNED_BYTE, rgb_.data());
  p.texture = tex_;
  p.width = frame->width;
  p.height = frame->height;
  return true;
}

void GlPreview::show_outline(camera::Scanner& scanner, ui::Preview& p) {
  auto outline = scanner.last_outline(std::chrono::milliseconds(600));
  p.outline = p.camera_ok() && outline.has_value();
  if (outline)
    for (int i = 0; i < 4; ++i) {
      p.x[i] = static_cast<float>(outline->x[i]);
      p.y[i] = static_cast<float>(outline->y[i]);
    }
}

}  // namespace shelter::kiosk::platform
