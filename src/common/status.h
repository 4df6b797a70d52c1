// Status and Result<T>: how errors cross module boundaries in Tracery.
//
// Errors are values. A function that can fail returns Status (or Result<T>
// when it also produces a value); both are [[nodiscard]] so an ignored error
// does not compile quietly. Exceptions never cross a module boundary: code
// that calls a throwing library catches at the call and converts.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tracery {

class [[nodiscard]] Status {
 public:
  enum class Code : unsigned char {
    kOk = 0,
    kInvalidArgument,    // the caller sent something malformed (HTTP 400)
    kNotFound,           // the thing asked for does not exist (HTTP 404)
    kCorruption,         // stored data failed a checksum or format check
    kIOError,            // the operating system refused a file operation
    kResourceExhausted,  // over a limit or quota; retry later (HTTP 429)
    kUnavailable,        // temporarily cannot serve; retry later (HTTP 503)
    kTooLarge,           // a request body over the configured size (HTTP 413)
    kDeadlineExceeded,   // a query ran past its time budget
    kUnauthenticated,    // no or bad credentials (HTTP 401)
    kPermissionDenied,   // credentials do not allow this (HTTP 403)
    kInternal,           // a bug: an invariant did not hold
  };

  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {Code::kIOError, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {Code::kResourceExhausted, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status TooLarge(std::string m) { return {Code::kTooLarge, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) { return {Code::kDeadlineExceeded, std::move(m)}; }
  static Status Unauthenticated(std::string m) { return {Code::kUnauthenticated, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;
  static std::string_view CodeName(Code code);

  // HTTP status that best answers a request that failed with this status.
  int HttpStatus() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Result<T>: a T, or the Status that says why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status has no value");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  // REQUIRES: ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace tracery

// Returns early from the enclosing function when `expr` yields a non-OK Status.
#define TRACERY_RETURN_IF_ERROR(expr)        \
  do {                                       \
    ::tracery::Status _st = (expr);          \
    if (!_st.ok()) return _st;               \
  } while (0)
