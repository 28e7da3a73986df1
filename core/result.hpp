#pragma once
// Errors travel as values with a short context chain, e.g.
// "check in: append event: database or disk is full". Only top loops
// (the CLI's main, the daemon's loop, the kiosk's frame loop) print them.
#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace shelter {

struct Error {
  std::string message;

  // Returns the error with `what` prepended: "what: message".
  [[nodiscard]] Error context(std::string_view what) const { return Error{std::string(what) + ": " + message}; }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  // By value, so `for (auto& x : f().value())` does not dangle.
  T value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  // Adds context to a failure; a success passes through unchanged.
  Result context(std::string_view what) && {
    if (!ok()) return std::get<1>(v_).context(what);
    return std::move(*this);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(failed_);
    return error_;
  }
  Result context(std::string_view what) && {
    if (failed_) return error_.context(what);
    return {};
  }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

inline Error fail(std::string message) {
  return Error{std::move(message)};
}

}  // namespace shelter
