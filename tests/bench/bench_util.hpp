#pragma once
// Small helpers the C++ benchmarks share: elapsed milliseconds and a
// percentile of a sample.
#include <algorithm>
#include <chrono>
#include <vector>

namespace shelter::bench {

inline double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// The q-quantile (0..1) of v, nearest rank; 0 for an empty sample.
inline double pct(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

}  // namespace shelter::bench
