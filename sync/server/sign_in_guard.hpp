#pragma once
// Dashboard sign-in under attack (POST /v1/login): wrong passwords slow
// down the name and the address they came from, with growing waits, and
// at most kMaxConcurrentHashes password hashes run at once, outside any
// store lock, so that a flood of sign-ins cannot starve the kiosks' sync.
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace shelter::sync {

class SignInGuard {
 public:
  // Free tries before the first wait; then 1 s, 2 s, 4 s ... up to kMaxWait.
  static constexpr int kFreeTries = 3;
  static constexpr std::int64_t kMaxWaitMs = 15 * 60 * 1000;
  static constexpr int kMaxConcurrentHashes = 2;

  // How long `name` or `address` must still wait before a try (0: now).
  std::int64_t wait_ms(const std::string& name, const std::string& address, std::int64_t now_ms);
  // A wrong name or password from `address`; a right one forgets the name's.
  void failed(const std::string& name, const std::string& address, std::int64_t now_ms);
  void succeeded(const std::string& name);

  // A slot for one password hash, waited for up to `patience_ms`; false:
  // too many at once (the caller answers "busy").
  bool enter_hash(std::int64_t patience_ms);
  void leave_hash();

 private:
  struct Tries {
    int failures = 0;
    std::int64_t not_before_ms = 0;
  };
  void note(std::map<std::string, Tries>& m, const std::string& key, std::int64_t now_ms);
  std::mutex mu_;
  std::condition_variable_any freed_;
  int hashing_ = 0;
  std::map<std::string, Tries> names_, addresses_;
};

}  // namespace shelter::sync
