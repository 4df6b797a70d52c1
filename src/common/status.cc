#include "common/status.h"

namespace tracery {

std::string_view Status::CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kInvalidArgument: return "InvalidArgument";
    case Code::kNotFound: return "NotFound";
    case Code::kCorruption: return "Corruption";
    case Code::kIOError: return "IOError";
    case Code::kResourceExhausted: return "ResourceExhausted";
    case Code::kUnavailable: return "Unavailable";
    case Code::kTooLarge: return "TooLarge";
    case Code::kDeadlineExceeded: return "DeadlineExceeded";
    case Code::kUnauthenticated: return "Unauthenticated";
    case Code::kPermissionDenied: return "PermissionDenied";
    case Code::kInternal: return "Internal";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(CodeName(code_));
  s += ": ";
  s += message_;
  return s;
}

int Status::HttpStatus() const {
  switch (code_) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kNotFound: return 404;
    case Code::kResourceExhausted: return 429;
    case Code::kUnavailable: return 503;
    case Code::kTooLarge: return 413;
    case Code::kDeadlineExceeded: return 504;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kCorruption:
    case Code::kIOError:
    case Code::kInternal: return 500;
  }
  return 500;
}

}  // namespace tracery
