#pragma once
// The camera preview: the newest frame goes to one GL texture (updated in
// place while its size stays the same), and the outline of a code just seen
// goes to the view model. The camera's state reaches the view model through
// the controller (Controller::on_camera).
#include <chrono>
#include <cstdint>
#include <vector>

#include "kiosk/camera/scanner.hpp"
#include "kiosk/ui/view_model.hpp"

namespace shelter::kiosk::platform {

class GlPreview {
 public:
  using Clock = std::chrono::steady_clock;
  GlPreview();  // needs the window's GL context
  ~GlPreview();
  GlPreview(const GlPreview&) = delete;
  GlPreview& operator=(const GlPreview&) = delete;

  // Uploads the scanner's newest frame, at most 15 times a second (software
  // GL on a tablet is not free; the decoder still sees every frame). True
  // when a new picture was uploaded (worth a redraw).
  bool update(camera::Scanner& scanner, ui::Preview& p, Clock::time_point now);
  // The outline of the last code seen.
  static void show_outline(camera::Scanner& scanner, ui::Preview& p);

 private:
  unsigned tex_ = 0;
  std::uint64_t seq_ = 0;
  Clock::time_point last_{};
  std::vector<unsigned char> rgb_;
};

}  // namespace shelter::kiosk::platform
