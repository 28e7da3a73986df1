// make-model1 TEXT OUT.png [--scale N]: a QR Code Model 1 picture for
// trying the reader by hand (print it, hold it to the camera). Tests only.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/support/qr_model1_encoder.hpp"

int main(int argc, char** argv) {
  if (argc != 3 && !(argc == 5 && std::string(argv[3]) == "--scale")) {
    std::fprintf(stderr, "usage: make-model1 TEXT OUT.png [--scale N]\n");
    return 2;
  }
  const int scale = argc == 5 ? std::atoi(argv[4]) : 8;
  if (scale < 1 || scale > 64) {
    std::fprintf(stderr, "make-model1: --scale wants 1..64\n");
    return 2;
  }
  const auto matrix = shelter::testsupport::encode_model1(argv[1]);
  if (!matrix) {
    std::fprintf(stderr, "make-model1: text too long for a Model 1 symbol (version 14)\n");
    return 1;
  }
  const auto png = shelter::qrimage::to_png(*matrix, scale);
  std::ofstream out(argv[2], std::ios::binary);
  out.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  if (!out) {
    std::fprintf(stderr, "make-model1: cannot write %s\n", argv[2]);
    return 1;
  }
  std::printf("version %d, %d modules\n", matrix->version, matrix->size);
  return 0;
}
