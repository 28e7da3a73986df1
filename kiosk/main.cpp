// shelter-kiosk: the fullscreen touch app. SDL2 + OpenGL3 + Dear ImGui 1.86.
// The frame loop sleeps until input, a camera frame or a timer: an idle
// kiosk draws nothing.
#include <SDL.h>
#include <SDL_opengl.h>
#include <backends/imgui_impl_opengl3.h>
#include <backends/imgui_impl_sdl.h>
#include <imgui.h>
#include <stb/stb_image_write.h>
#include <malloc.h>
#include <sodium.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <iostream>

#include "core/fs_util.hpp"
#include "core/pin.hpp"
#include "core/store.hpp"
#include "kiosk/app/config.hpp"
#include "kiosk/app/controller.hpp"
#include "kiosk/camera/scanner.hpp"
#include "kiosk/ui/screens.hpp"

namespace fs = std::filesystem;
using namespace shelter;
using Clock = std::chrono::steady_clock;

namespace {

std::atomic<bool> g_screenshot_requested{false};
std::atomic<bool> g_quit{false};
Uint32 g_wake_event = 0;

void wake_ui() {
  SDL_Event e{};
  e.type = g_wake_event;
  SDL_PushEvent(&e);  // thread-safe
}

std::string find_assets(const std::string& configured, const char* argv0) {
  std::vector<fs::path> candidates;
  if (!configured.empty()) candidates.emplace_back(configured);
  std::error_code ec;
  const fs::path exe = fs::canonical(argv0, ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / "assets");
    candidates.push_back(exe.parent_path().parent_path() / "share" / "shelter-checkin" / "assets");
  }
  candidates.emplace_back(SHELTER_SOURCE_ASSETS);
  for (const auto& c : candidates)
    if (fs::exists(c / "i18n" / "en.json", ec)) return c.string();
  return {};
}

void save_screenshot(const std::string& dir, const std::string& name, int w, int h) {
  std::vector<unsigned char> px(static_cast<size_t>(w) * h * 3);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, px.data());
  std::vector<unsigned char> flipped(px.size());
  for (int y = 0; y < h; ++y)
    std::memcpy(&flipped[static_cast<size_t>(y) * w * 3], &px[static_cast<size_t>(h - 1 - y) * w * 3], static_cast<size_t>(w) * 3);
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string path = (fs::path(dir) / (name + ".png")).string();
  stbi_write_png(path.c_str(), w, h, 3, flipped.data(), w * 3);
}

void write_ui_map(const std::string& path, const char* screen, const std::vector<ui::WidgetRect>& widgets) {
  nlohmann::json j;
  j["screen"] = screen;
  j["widgets"] = nlohmann::json::array();
  for (const auto& w : widgets)
    j["widgets"].push_back({{"id", w.id}, {"x", w.x}, {"y", w.y}, {"w", w.w}, {"h", w.h}, {"label_cut", w.label_cut}});
  (void)write_file_atomic(path, j.dump(), 0644);
}

// A short two-tone chime on success, generated, so no sound file is needed.
void play_chime(SDL_AudioDeviceID dev) {
  if (!dev) return;
  const int rate = 48000;
  std::vector<float> samples;
  for (double f : {880.0, 1320.0})
    for (int i = 0; i < rate / 8; ++i) {
      const double t = i / static_cast<double>(rate);
      samples.push_back(static_cast<float>(0.25 * std::sin(2 * M_PI * f * t) * std::min(1.0, (rate / 8 - i) / 2000.0)));
    }
  SDL_ClearQueuedAudio(dev);
  SDL_QueueAudio(dev, samples.data(), static_cast<Uint32>(samples.size() * sizeof(float)));
  SDL_PauseAudioDevice(dev, 0);
}

// The font atlas as a one-channel texture (a quarter of ImGui's RGBA upload:
// 4 MB instead of 16 for a 2048x2048 atlas), white with the glyph as alpha.
GLuint upload_font_atlas() {
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
  return tex;
}

long rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  const auto started = Clock::now();
  // Two malloc arenas, not one per thread: the decoder's short-lived buffers
  // would otherwise keep tens of MB resident in arenas of their own.
  mallopt(M_ARENA_MAX, 2);
  CLI::App app{"shelter-kiosk: evacuation shelter check-in kiosk"};
  std::string config_path, hash_pin_arg, stats_file;
  kiosk::Config cli;
  std::vector<std::string> replay;
  bool windowed = false;
  int max_frames = 0;
  app.add_option("--config", config_path, "TOML configuration file (see config/kiosk.example.toml)");
  app.add_option("--db", cli.db, "SQLite database file");
  app.add_option("--replay", replay, "Play these image files or folders instead of a webcam");
  app.add_flag("--windowed", windowed, "A window instead of full screen");
  app.add_option("--ui-map", cli.ui_map, "Write widget rectangles here (GUI tests)");
  app.add_option("--screenshot-dir", cli.screenshot_dir, "Save a screenshot of each screen here");
  app.add_option("--hash-pin", hash_pin_arg, "Print the hash of a staff PIN for the config, and exit");
  app.add_option("--stats-file", stats_file, "Write start-up, latency and memory figures here at exit");
  app.add_option("--frames", max_frames, "Exit after this many drawn frames (tests)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (sodium_init() < 0) {
    std::cerr << "shelter-kiosk: libsodium failed to start\n";
    return 1;
  }
  if (!hash_pin_arg.empty()) {
    if (hash_pin_arg.size() < 4 || hash_pin_arg.find_first_not_of("0123456789") != std::string::npos) {
      std::cerr << "shelter-kiosk: a PIN is 4 or more digits\n";
      return 1;
    }
    std::cout << hash_pin(hash_pin_arg) << "\n";
    return 0;
  }

  kiosk::Config config;
  if (!config_path.empty()) {
    auto loaded = kiosk::load_config(config_path);
    if (!loaded) {
      std::cerr << "shelter-kiosk: " << loaded.error().message << "\n";
      return 1;
    }
    config = *loaded;
  }
  if (app.count("--db")) config.db = cli.db;
  if (!replay.empty()) {
    config.camera = "replay";
    config.replay = replay;
  }
  if (windowed) config.fullscreen = false;
  if (!cli.ui_map.empty()) config.ui_map = cli.ui_map;
  if (!cli.screenshot_dir.empty()) config.screenshot_dir = cli.screenshot_dir;
  if (auto v = kiosk::validate(config); !v) {
    std::cerr << "shelter-kiosk: config: " << v.error().message << "\n";
    return 1;
  }

  const std::string assets = find_assets(config.assets, argv[0]);
  ui::Translations tr;
  if (auto st = assets.empty() ? Status(fail("no assets folder with i18n/en.json found")) : tr.load_dir(assets + "/i18n"); !st) {
    std::cerr << "shelter-kiosk: " << st.error().message << "\n";
    return 1;
  }

  auto store_r = Store::open(config.db);
  if (!store_r) {
    std::cerr << "shelter-kiosk: " << store_r.error().message << "\n";
    return 1;
  }
  Store& store = **store_r;
  if (store.device_id().empty()) {
    if (auto st = store.init_identity(config.shelter_id, config.device_id, config.shelter_name); !st) {
      std::cerr << "shelter-kiosk: " << st.error().message << "\n";
      return 1;
    }
  }

  SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
  if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
    std::cerr << "shelter-kiosk: cannot open the display: " << SDL_GetError() << "\n";
    return 1;
  }
  g_wake_event = SDL_RegisterEvents(1);
  SDL_AudioDeviceID audio = 0;
  if (config.sounds && SDL_InitSubSystem(SDL_INIT_AUDIO) == 0) {
    SDL_AudioSpec want{}, have{};
    want.freq = 48000;
    want.format = AUDIO_F32;
    want.channels = 1;
    want.samples = 1024;
    audio = SDL_OpenAudioDevice(nullptr, 0, &want, &have, 0);  // no sound device: silent
  }
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
  SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 0);
  SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
  Uint32 flags = SDL_WINDOW_OPENGL | SDL_WINDOW_ALLOW_HIGHDPI;
  if (config.fullscreen) flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
  SDL_Window* window = SDL_CreateWindow("Shelter Check-in", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                        config.window_width, config.window_height, flags);
  if (!window) {
    std::cerr << "shelter-kiosk: cannot create the window: " << SDL_GetError() << "\n";
    return 1;
  }
  SDL_GLContext gl = SDL_GL_CreateContext(window);
  if (!gl) {
    std::cerr << "shelter-kiosk: no OpenGL 3 context: " << SDL_GetError() << "\n";
    return 1;
  }
  SDL_GL_MakeCurrent(window, gl);
  SDL_GL_SetSwapInterval(1);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // nothing to remember between runs
  ImGui::StyleColorsDark();
  ImGuiStyle& style = ImGui::GetStyle();
  const float unit = std::max(72.0f, static_cast<float>(config.screen_dpi * 15.0 / 25.4));
  style.FrameRounding = 10;
  style.ItemSpacing = ImVec2(unit * 0.14f, unit * 0.14f);
  style.WindowPadding = ImVec2(unit * 0.25f, unit * 0.2f);
  style.TouchExtraPadding = ImVec2(4, 4);
  style.ScrollbarSize = unit * 0.45f;
  style.Colors[ImGuiCol_WindowBg] = ImVec4(0.08f, 0.09f, 0.11f, 1);
  ImGui_ImplSDL2_InitForOpenGL(window, gl);
  ImGui_ImplOpenGL3_Init("#version 130");

  ui::Fonts fonts;
  std::string seed = tr.all_text();
  seed += "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンーァィゥェォッャュョヴ"
          "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポ・゛゜✓•—";
  for (const auto& miss : fonts.load(ui::Fonts::default_sources(), std::round(unit * 0.36f), seed))
    std::cerr << "shelter-kiosk: font not found, some characters may be missing: " << miss << "\n";

  kiosk::Controller controller(store, config);
  controller.vm().languages = tr.languages();
  camera::Scanner::SourceFactory factory;
  if (config.camera == "replay" || (config.camera == "auto" && !fs::exists(config.device))) {
    camera::ReplayOptions ro;
    ro.paths = config.replay;
    ro.fps = config.replay_fps;
    if (ro.paths.empty()) {
      // No webcam and nothing to replay: the demo frames, a few seconds each.
      ro.paths.push_back(assets + "/demo-frames");
      ro.fps = 0.25;
    }
    factory = [ro] { return camera::open_replay(ro); };
  } else {
    camera::V4l2Options vo{config.device, config.camera_width, config.camera_height, config.camera_fps, config.camera_format};
    factory = [vo] { return camera::open_v4l2(vo); };
  }
  camera::Scanner scanner(factory, {}, wake_ui);
  scanner.start();

  std::vector<double> latencies_ms;
  Clock::time_point scan_captured{};
  SDL_AudioDeviceID audio_dev = audio;
  controller.on_checked_in = [&](int) {
    play_chime(audio_dev);
    if (scan_captured != Clock::time_point{}) {
      latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - scan_captured).count());
      scan_captured = {};
    }
  };

  std::signal(SIGUSR1, [](int) { g_screenshot_requested = true; });
  std::signal(SIGTERM, [](int) { g_quit = true; });
  std::signal(SIGINT, [](int) { g_quit = true; });

  GLuint preview_tex = 0;
  glGenTextures(1, &preview_tex);
  std::uint64_t preview_seq = 0;
  Clock::time_point last_preview{};
  std::vector<unsigned char> rgb;
  double first_preview_ms = -1;
  int frames_to_draw = 3, drawn = 0, shots_after_change = -1, shot_index = 0;
  std::string last_map;
  GLuint font_tex = 0;
  std::vector<ui::Intent> intents;
  std::vector<ui::WidgetRect> widgets;

  while (!g_quit) {
    SDL_Event ev;
    const int timeout = frames_to_draw > 0 ? 0 : 250;
    if (SDL_WaitEventTimeout(&ev, timeout)) {
      do {
        if (ev.type == SDL_QUIT) g_quit = true;
        if (ev.type == SDL_KEYDOWN && ev.key.keysym.sym == SDLK_F12) g_screenshot_requested = true;
        if (ev.type == g_wake_event) continue;  // the camera: handled below, one frame per picture
        ImGui_ImplSDL2_ProcessEvent(&ev);
        // Input: a few frames, so that ImGui sees press, release and the result.
        frames_to_draw = std::max(frames_to_draw, 3);
      } while (SDL_PollEvent(&ev));
    }
    const auto now = Clock::now();
    // Camera: newest frame to the preview texture, detections to the controller.
    // The preview is redrawn at most 15 times a second (software GL on a
    // tablet is not free); the decoder still sees every frame.
    std::shared_ptr<const camera::Frame> frame;
    if (now - last_preview >= std::chrono::milliseconds(66)) frame = scanner.latest_frame(preview_seq);
    if (frame) {
      last_preview = now;
      preview_seq = frame->seq;
      const size_t n = static_cast<size_t>(frame->width) * frame->height;
      if (frame->rgb.size() == n * 3) {
        rgb = frame->rgb;
      } else {
        rgb.resize(n * 3);
        for (size_t i = 0; i < n; ++i) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = frame->gray[i];
      }
      glBindTexture(GL_TEXTURE_2D, preview_tex);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
      glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
      glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
      auto& p = controller.vm().preview;
      // Same size as before: update in place rather than reallocate.
      if (p.width == frame->width && p.height == frame->height)
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, frame->width, frame->height, GL_RGB, GL_UNSIGNED_BYTE, rgb.data());
      else
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGB, frame->width, frame->height, 0, GL_RGB, GL_UNSIGNED_BYTE, rgb.data());
      p.texture = preview_tex;
      p.width = frame->width;
      p.height = frame->height;
      if (first_preview_ms < 0) first_preview_ms = std::chrono::duration<double, std::milli>(now - started).count();
      frames_to_draw = std::max(frames_to_draw, 1);
    }
    {
      auto& p = controller.vm().preview;
      const auto st = scanner.stats();
      p.camera_ok = st.camera_ok;
      p.camera_text = st.camera;
      auto outline = scanner.last_outline(std::chrono::milliseconds(600));
      p.outline = outline.has_value();
      if (outline)
        for (int i = 0; i < 4; ++i) {
          p.x[i] = static_cast<float>(outline->x[i]);
          p.y[i] = static_cast<float>(outline->y[i]);
        }
    }
    for (const auto& d : scanner.take_detections()) {
      scan_captured = d.captured;
      if (controller.on_scan(d.text, now)) frames_to_draw = std::max(frames_to_draw, 3);
    }
    controller.tick(now);
    if (controller.take_screen_changed()) {
      frames_to_draw = std::max(frames_to_draw, 3);
      shots_after_change = 2;
      if (controller.vm().screen == ui::Screen::Welcome) scanner.reset_repeat_filter();
    }
    if (frames_to_draw <= 0 && !g_screenshot_requested) continue;
    --frames_to_draw;

    tr.set_language(controller.vm().lang);
    ImGui_ImplOpenGL3_NewFrame();
    if (!font_tex) {
      // NewFrame made the backend's RGBA font texture: replace it by ours.
      ImGui_ImplOpenGL3_DestroyFontsTexture();
      font_tex = upload_font_atlas();
    }
    ImGui_ImplSDL2_NewFrame();
    ImGui::NewFrame();
    intents.clear();
    widgets.clear();
    ui::Ui ctx{controller.vm(), tr, fonts, intents, unit, &widgets};
    ui::draw(ctx);
    ImGui::Render();
    int w = 0, h = 0;
    SDL_GL_GetDrawableSize(window, &w, &h);
    glViewport(0, 0, w, h);
    glClearColor(0.08f, 0.09f, 0.11f, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    ++drawn;
    const char* screen = ui::screen_name(controller.vm().screen);
    if (!config.screenshot_dir.empty() && (g_screenshot_requested || shots_after_change == 0)) {
      save_screenshot(config.screenshot_dir, std::to_string(++shot_index) + "-" + screen, w, h);
      g_screenshot_requested = false;
    }
    if (shots_after_change >= 0) --shots_after_change;
    SDL_GL_SwapWindow(window);
    for (const auto& in : intents) controller.apply(in, Clock::now());
    if (!intents.empty()) frames_to_draw = std::max(frames_to_draw, 2);
    if (!config.ui_map.empty()) {
      std::string key = screen;
      for (const auto& wr : widgets) key += wr.id + std::to_string(static_cast<int>(wr.x)) + "," + std::to_string(static_cast<int>(wr.y));
      if (key != last_map) {
        write_ui_map(config.ui_map, screen, widgets);
        last_map = key;
      }
    }
    if (fonts.needs_rebuild()) {
      // Old texture first, so that two atlases never coexist.
      glDeleteTextures(1, &font_tex);
      fonts.rebuild();
      font_tex = upload_font_atlas();
      malloc_trim(0);  // give the build's scratch memory back
      frames_to_draw = std::max(frames_to_draw, 2);
    }
    if (max_frames > 0 && drawn >= max_frames) break;
  }

  scanner.stop();
  if (!stats_file.empty()) {
    nlohmann::json s;
    s["first_preview_ms"] = first_preview_ms;
    // From the frame that showed the code to the commit; for a household card
    // this includes the person's confirm tap (bench_kiosk measures without it).
    s["scan_to_commit_ms"] = latencies_ms;
    s["max_rss_kb"] = rss_kb();
    s["frames_drawn"] = drawn;
    const auto st = scanner.stats();
    s["camera_frames"] = st.frames;
    s["frames_decoded"] = st.decoded;
    s["last_decode_ms"] = st.last_decode_ms;
    (void)write_file_atomic(stats_file, s.dump(2), 0644);
  }
  glDeleteTextures(1, &preview_tex);
  glDeleteTextures(1, &font_tex);
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplSDL2_Shutdown();
  ImGui::DestroyContext();
  SDL_GL_DeleteContext(gl);
  SDL_DestroyWindow(window);
  if (audio) SDL_CloseAudioDevice(audio);
  SDL_Quit();
  return 0;
}
