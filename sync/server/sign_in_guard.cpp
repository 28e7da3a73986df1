#include "sync/server/sign_in_guard.hpp"

#include <algorithm>
#include <chrono>

namespace shelter::sync {

namespace {
constexpr size_t kMaxTracked = 100'000;  // names and addresses remembered, each
}

std::int64_t SignInGuard::wait_ms(const std::string& name, const std::string& address, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  std::int64_t wait = 0;
  for (auto* m : {&names_, &addresses_}) {
    auto it = m->find(m == &names_ ? name : address);
    if (it != m->end()) wait = std::max(wait, it->second.not_before_ms - now_ms);
  }
  return wait;
}

void SignInGuard::note(std::map<std::string, Tries>& m, const std::string& key, std::int64_t now_ms) {
  // A flood of made-up names must not grow the map without end: forget
  // the ones whose wait is over first, then the oldest half.
  if (m.size() >= kMaxTracked) {
    std::erase_if(m, [&](const auto& kv) { return kv.second.not_before_ms <= now_ms; });
    if (m.size() >= kMaxTracked) m.erase(m.begin(), std::next(m.begin(), static_cast<std::ptrdiff_t>(m.size() / 2)));
  }
  Tries& t = m[key];
  ++t.failures;
  if (t.failures > kFreeTries) {
    const int doublings = std::min(t.failures - kFreeTries - 1, 20);
    t.not_before_ms = now_ms + std::min<std::int64_t>(std::int64_t{1000} << doublings, kMaxWaitMs);
  }
}

void SignInGuard::failed(const std::string& name, const std::string& address, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  note(names_, name, now_ms);
  if (!address.empty()) note(addresses_, address, now_ms);
}

void SignInGuard::succeeded(const std::string& name) {
  std::lock_guard lock(mu_);
  names_.erase(name);
}

bool SignInGuard::enter_hash(std::int64_t patience_ms) {
  std::unique_lock lock(mu_);
  if (!freed_.wait_for(lock, std::chrono::milliseconds(patience_ms), [&] { return hashing_ < kMaxConcurrentHashes; }))
    return false;
  ++hashing_;
  return true;
}

void SignInGuard::leave_hash() {
  {
    std::lock_guard lock(mu_);
    --hashing_;
  }
  freed_.notify_one();
}

}  // namespace shelter::sync
