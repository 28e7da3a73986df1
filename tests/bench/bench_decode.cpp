// QR decoding on a labelled image set (tests/data/qr_set), per category:
// our thorough reader (QrReader::read), raw ZXing as a baseline, and with
// --live the budgeted camera path (read_frame on frames 0..5: the whole
// rotation of its passes, a fifth of a second at 30 fps).
// Prints a markdown table: hits, false positives (images where read or
// read_frame gave any text on a negative, or a wrong text), time per image
// of read and per read_frame call. Figures, not assertions.
// usage: bench_decode SET_DIR [--live] [--verbose]
#define ZX_USE_UTF8 1
#include <ReadBarcode.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/qr_image.hpp"
#include "tests/bench/bench_util.hpp"

using namespace shelter;
using Clock = std::chrono::steady_clock;

using bench::ms_since;

namespace {

struct Labelled {
  std::string path, category, expected;  // expected empty: a negative
};

std::vector<Labelled> read_expected(const std::string& dir) {
  std::ifstream in(dir + "/expected.tsv");
  std::vector<Labelled> out;
  for (std::string line; std::getline(in, line);) {
    const auto tab = line.find('\t');
    if (line.empty() || tab == std::string::npos) continue;
    Labelled l;
    l.path = line.substr(0, tab);
    l.expected = line.substr(tab + 1);
    l.category = l.path.substr(0, l.path.find('/'));
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<std::string> zxing_texts(const qrimage::GrayImage& img) {
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  ZXing::ImageView view(img.pixels.data(), img.width, img.height, ZXing::ImageFormat::Lum);
  std::vector<std::string> out;
  for (const auto& r : ZXing::ReadBarcodes(view, hints))
    if (r.isValid()) out.push_back(r.text());
  return out;
}

std::vector<std::string> texts_of(const std::vector<qrimage::Found>& found) {
  std::vector<std::string> out;
  for (const auto& f : found) out.push_back(f.text);
  return out;
}

enum class Outcome { Hit, Miss, FalsePositive };

// A hit needs the expected text; any other text is a false positive (on a
// negative, or a misread), even next to the right one.
Outcome judge(const std::vector<std::string>& texts, const std::string& expected) {
  bool hit = false, wrong = false;
  for (const auto& t : texts) (t == expected && !expected.empty() ? hit : wrong) = true;
  if (wrong) return Outcome::FalsePositive;
  return hit ? Outcome::Hit : Outcome::Miss;
}

struct Tally {
  int images = 0, negatives = 0, ours = 0, zxing = 0, live = 0, false_pos = 0;
  std::vector<double> ms, live_ms;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

std::string count(int n, int of, bool negatives) {
  // On negatives a "hit" is an image where nothing was read.
  return std::to_string(n) + "/" + std::to_string(of) + (negatives ? " clear" : "");
}

void print_row(const std::string& name, const Tally& t, bool live, bool negatives) {
  std::printf("| %s | %d | %s | %s | %s | %d | %.1f | %.1f |", name.c_str(), t.images,
              count(t.ours, t.images, negatives).c_str(), count(t.zxing, t.images, negatives).c_str(),
              live ? count(t.live, t.images, negatives).c_str() : "-", t.false_pos, percentile(t.ms, 0.5),
              percentile(t.ms, 0.95));
  if (live) std::printf(" %.1f | %.1f |", percentile(t.live_ms, 0.5), percentile(t.live_ms, 0.95));
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_decode SET_DIR [--live] [--verbose]\n");
    return 2;
  }
  const std::string dir = argv[1];
  bool live = false, verbose = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--live")
      live = true;
    else if (a == "--verbose")
      verbose = true;
    else {
      std::fprintf(stderr, "bench_decode: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  const auto set = read_expected(dir);
  if (set.empty()) {
    std::fprintf(stderr, "bench_decode: no images listed in %s/expected.tsv\n", dir.c_str());
    return 1;
  }
  std::map<std::string, Tally> by_category;
  std::vector<std::string> order;
  Tally total;
  const qrimage::QrReader reader;
  for (const auto& item : set) {
    auto img = qrimage::load_image(dir + "/" + item.path);
    if (!img) {
      std::fprintf(stderr, "bench_decode: %s\n", img.error().message.c_str());
      return 1;
    }
    if (!by_category.count(item.category)) order.push_back(item.category);
    Tally& t = by_category[item.category];
    ++t.images;
    t.negatives += item.expected.empty();
    const auto t0 = Clock::now();
    const Outcome ours = judge(texts_of(reader.read(*img)), item.expected);
    t.ms.push_back(ms_since(t0));
    const Outcome raw = judge(zxing_texts(*img), item.expected);
    const bool negative = item.expected.empty();
    // A negative counts as good when nothing at all was read.
    auto good = [negative](Outcome o) { return negative ? o == Outcome::Miss : o == Outcome::Hit; };
    t.ours += good(ours);
    t.zxing += good(raw);
    t.false_pos += ours == Outcome::FalsePositive;
    Outcome live_outcome = Outcome::Miss;
    if (live) {
      for (std::uint64_t frame = 0; frame < 6; ++frame) {
        const auto t1 = Clock::now();
        const auto found = reader.read_frame(img->pixels.data(), img->width, img->height, img->width, frame);
        t.live_ms.push_back(ms_since(t1));
        live_outcome = judge(texts_of(found), item.expected);
        if (live_outcome != Outcome::Miss) break;
      }
      t.live += good(live_outcome);
      t.false_pos += live_outcome == Outcome::FalsePositive && ours != Outcome::FalsePositive;
    }
    if (verbose)
      std::printf("%s\tours=%d\tzxing=%d%s\t%.1f ms\n", item.path.c_str(), good(ours), good(raw),
                  live ? (good(live_outcome) ? "\tlive=1" : "\tlive=0") : "", t.ms.back());
  }
  std::printf("| category | images | ours | raw ZXing | live (6 frames) | false pos | median ms | p95 ms |%s\n",
              live ? " live median ms | live p95 ms |" : "");
  std::printf("|---|---|---|---|---|---|---|---|%s\n", live ? "---|---|" : "");
  for (const auto& name : order) {
    const Tally& t = by_category[name];
    print_row(name, t, live, t.negatives == t.images);
    total.images += t.images;
    total.ours += t.ours;
    total.zxing += t.zxing;
    total.live += t.live;
    total.false_pos += t.false_pos;
    total.ms.insert(total.ms.end(), t.ms.begin(), t.ms.end());
    total.live_ms.insert(total.live_ms.end(), t.live_ms.begin(), t.live_ms.end());
  }
  print_row("**total**", total, live, false);
  return 0;
}
