#include "kiosk/platform/window.hpp"

#include "kiosk/ui/style.hpp"

#include <SDL.h>
#include <SDL_opengl.h>
#include <backends/imgui_impl_opengl3.h>
#include <backends/imgui_impl_sdl.h>
#include <imgui.h>
#include <malloc.h>
#include <stb/stb_image_write.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

namespace fs = std::filesystem;

namespace shelter::kiosk::platform {

Result<std::unique_ptr<Window>> Window::open(const Config& config, const std::string& font_seed) {
  std::unique_ptr<Window> w(new Window());
  SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
  if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0)
    return fail(std::string("cannot open the display: ") + SDL_GetError());
  w->wake_event_ = SDL_RegisterEvents(1);
  if (config.sounds && SDL_InitSubSystem(SDL_INIT_AUDIO) == 0) {
    SDL_AudioSpec want{}, have{};
    want.freq = 48000;
    want.format = AUDIO_F32;
    want.channels = 1;
    want.samples = 1024;
    w->audio_ = SDL_OpenAudioDevice(nullptr, 0, &want, &have, 0);  // no sound device: silent
  }
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 0);
  SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
  Uint32 flags = SDL_WINDOW_OPENGL | SDL_WINDOW_ALLOW_HIGHDPI;
  if (config.fullscreen) flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
  w->window_ = SDL_CreateWindow("Shelter Check-in", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, config.window_width,
                                config.window_height, flags);
  if (!w->window_) return fail(std::string("cannot create the window: ") + SDL_GetError());
  w->gl_ = SDL_GL_CreateContext(w->window_);
  if (!w->gl_) return fail(std::string("no OpenGL 3 context: ") + SDL_GetError());
  SDL_GL_MakeCurrent(w->window_, w->gl_);
  SDL_GL_SetSwapInterval(1);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  w->imgui_ = true;
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // nothing to remember between runs
  // The unit follows the screen the window really got (fullscreen: the
  // display's size), so that every page fits a 10" 1024x600 tablet too.
  int win_w = config.window_width, win_h = config.window_height;
  SDL_GetWindowSize(w->window_, &win_w, &win_h);
  const float unit = ui::touch_unit(config.screen_dpi, static_cast<float>(win_w), static_cast<float>(win_h));
  w->unit_ = unit;
  ui::apply_kiosk_style(ImGui::GetStyle(), unit);
  ImGui_ImplSDL2_InitForOpenGL(w->window_, w->gl_);
  ImGui_ImplOpenGL3_Init("#version 130");

  std::string seed = font_seed;
  seed +=
      "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンーァィゥェォッャュョ"
      "ヴ"
      "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポ・゛゜✓•—→▶…";
  for (const auto& miss : w->fonts_.load(ui::Fonts::default_sources(), ui::font_size_for(unit), seed))
    std::cerr << "shelter-kiosk: font not found, some characters may be missing: " << miss << "\n";
  return w;
}

Window::~Window() {
  if (imgui_) {
    glDeleteTextures(1, &font_tex_);
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplSDL2_Shutdown();
    ImGui::DestroyContext();
  }
  if (gl_) SDL_GL_DeleteContext(gl_);
  if (window_) SDL_DestroyWindow(window_);
  if (audio_) SDL_CloseAudioDevice(audio_);
  SDL_Quit();
}

void Window::wake() const {
  SDL_Event e{};
  e.type = wake_event_;
  SDL_PushEvent(&e);  // thread-safe
}

void Window::process_event(const SDL_Event& ev) {
  ImGui_ImplSDL2_ProcessEvent(&ev);
  // The pointer as the events say, in window coordinates (see begin_frame).
  if (ev.type == SDL_MOUSEMOTION) pointer_ = {static_cast<float>(ev.motion.x), static_cast<float>(ev.motion.y)};
  if (ev.type == SDL_MOUSEBUTTONDOWN || ev.type == SDL_MOUSEBUTTONUP)
    pointer_ = {static_cast<float>(ev.button.x), static_cast<float>(ev.button.y)};
}

// A short two-tone chime on success, generated, so no sound file is needed.
void Window::play_chime() {
  if (!audio_) return;
  const int rate = 48000;
  std::vector<float> samples;
  for (double f : {880.0, 1320.0})
    for (int i = 0; i < rate / 8; ++i) {
      const double t = i / static_cast<double>(rate);
      samples.push_back(static_cast<float>(0.25 * std::sin(2 * M_PI * f * t) * std::min(1.0, (rate / 8 - i) / 2000.0)));
    }
  SDL_ClearQueuedAudio(audio_);
  SDL_QueueAudio(audio_, samples.data(), static_cast<Uint32>(samples.size() * sizeof(float)));
  SDL_PauseAudioDevice(audio_, 0);
}

// The font atlas as a one-channel texture (a quarter of ImGui's RGBA upload:
// 4 MB instead of 16 for a 2048x2048 atlas), white with the glyph as alpha.
void Window::upload_font_atlas() {
  ImGuiIO& io = ImGui::GetIO();
  unsigned char* pixels = nullptr;
  int w = 0, h = 0;
  io.Fonts->GetTexDataAsAlpha8(&pixels, &w, &h);
  GLuint tex = 0;
  glGenTextures(1, &tex);
  glBindTexture(GL_TEXTURE_2D, tex);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_R8, w, h, 0, GL_RED, GL_UNSIGNED_BYTE, pixels);
  const GLint swizzle[4] = {GL_ONE, GL_ONE, GL_ONE, GL_RED};
  glTexParameteriv(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_RGBA, swizzle);
  io.Fonts->SetTexID(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(tex)));
  io.Fonts->ClearTexData();  // the GPU has it now
  font_tex_ = tex;
}

void Window::begin_frame() {
  ImGui_ImplOpenGL3_NewFrame();
  if (!font_tex_) {
    // NewFrame made the backend's RGBA font texture: replace it by ours.
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    upload_font_atlas();
  }
  ImGui_ImplSDL2_NewFrame();
  // ImGui 1.86's SDL backend reads the pointer's state, not its events, and
  // while a finger drags (the mouse captured) X11 keeps reporting where the
  // drag began: a stroke on the handwriting pad would stay one dot. The
  // last event's position is where the pointer is.
  if (pointer_[0] >= 0) ImGui::GetIO().MousePos = ImVec2(pointer_[0], pointer_[1]);
  ImGui::NewFrame();
}

void Window::render(int* w, int* h) {
  ImGui::Render();
  SDL_GL_GetDrawableSize(window_, w, h);
  glViewport(0, 0, *w, *h);
  glClearColor(0.08f, 0.09f, 0.11f, 1);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

void Window::swap() {
  SDL_GL_SwapWindow(window_);
}

void Window::rebuild_fonts() {
  // Old texture first, so that two atlases never coexist.
  glDeleteTextures(1, &font_tex_);
  fonts_.rebuild();
  upload_font_atlas();
  malloc_trim(0);  // give the build's scratch memory back
}

void Window::save_screenshot(const std::string& dir, const std::string& name, int w, int h) {
  std::vector<unsigned char> px(static_cast<size_t>(w) * h * 3);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, px.data());
  std::vector<unsigned char> flipped(px.size());
  for (int y = 0; y < h; ++y)
    std::memcpy(&flipped[static_cast<size_t>(y) * w * 3], &px[static_cast<size_t>(h - 1 - y) * w * 3],
                static_cast<size_t>(w) * 3);
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string path = (fs::path(dir) / (name + ".png")).string();
  stbi_write_png(path.c_str(), w, h, 3, flipped.data(), w * 3);
}

}  // namespace shelter::kiosk::platform
