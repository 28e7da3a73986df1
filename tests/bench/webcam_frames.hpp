#pragma once
// Synthetic webcam frames as a UVC webcam sends them at 720p: colour MJPEG,
// 4:2:2 chroma, sensor noise that differs in every frame, and no Huffman
// tables (the AVI1 convention). Used by bench_camera and, written to a
// folder, by bench_kiosk_window.sh's idle measurement.
#include <cstdint>
#include <random>
#include <vector>

#include "core/qr_image.hpp"

namespace shelter::bench {

struct SceneOptions {
  int width = 1280;
  int height = 720;
  double noise_sigma = 6;  // per channel, gray levels: a webcam indoors
  int quality = 85;
  const qrimage::QrMatrix* code = nullptr;  // a card held up, a third of the height
  int code_dx = 0, code_dy = 0;             // where the hand holds it this frame
};

// RGB24 picture of an empty hall corner (wall, door, poster), with noise.
std::vector<std::uint8_t> scene_rgb(const SceneOptions& o, std::mt19937& rng);
// A JPEG's copy without its DHT segments, as many webcams send MJPEG.
std::vector<std::uint8_t> strip_huffman_tables(const std::vector<std::uint8_t>& jpeg);
// RGB24 -> JPEG 4:2:2 without DHT segments (with them: keep_tables).
std::vector<std::uint8_t> to_webcam_mjpeg(const std::vector<std::uint8_t>& rgb, int width, int height, int quality,
                                          bool keep_tables = false);

}  // namespace shelter::bench
