// Reading a write-ahead-log file back (recovery). Records are returned in
// order until the end of the file or the first record that is torn (file
// ends inside it) or fails its checksum; everything from there on is the
// "bad tail", which recovery truncates away (a crash during an append
// leaves exactly such a tail, and nothing after it was acknowledged).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/env.h"

namespace tracery::storage {

struct WalReadResult {
  uint64_t records = 0;
  uint64_t valid_bytes = 0;      // offset just past the last good record
  uint64_t bad_tail_bytes = 0;   // bytes after valid_bytes (0: clean file)
  std::string bad_tail_reason;   // why the tail was rejected, for the log
};

// Calls `fn(type, payload)` for each good record of the file at `path`.
// If `fn` returns a non-OK status, reading stops and that status is returned
// (e.g. a record that checksums fine but does not decode). I/O errors are
// returned as is; a bad tail is not an error (see WalReadResult).
Result<WalReadResult> ReadWalFile(Env* env, const std::string& path,
                                  const std::function<Status(uint8_t, std::string_view)>& fn);

}  // namespace tracery::storage
