// Env: the file-system seam of the store (LevelDB's Env idea, small). All
// file access of the storage engine goes through an Env so tests can inject
// faults (torn writes, failing fsync, ENOSPC, loss of unsynced data).
//
// Error mapping: "no space left on device" (ENOSPC, EDQUOT) is returned as
// Status::Unavailable so callers can tell a full disk (retry later) from
// other I/O errors (Status::IOError).
//
// Thread-safety: Env methods are thread-safe. A WritableFile is used by one
// thread at a time; a RandomAccessFile may be read concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tracery::storage {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends at the end. On failure some prefix of `data` may have been written.
  virtual Status Append(std::string_view data) = 0;
  // Makes every appended byte durable (fdatasync).
  virtual Status Sync() = 0;
  // Cuts the file back to `size_bytes` (used to undo a failed append).
  virtual Status Truncate(uint64_t size_bytes) = 0;
  virtual Status Close() = 0;
  virtual uint64_t Size() const = 0;  // bytes appended so far, including pre-existing content
};

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads exactly `n` bytes at `offset` into *out; Corruption when the file is shorter.
  virtual Status Read(uint64_t offset, size_t n, std::string* out) const = 0;
  virtual uint64_t Size() const = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX Env. Never deleted.
  static Env* Default();

  // Opens `path` for appending, creating it; `truncate` empties it first.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, bool truncate) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) = 0;
  virtual Result<std::string> ReadFileToString(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, without "." and "..".
  virtual Result<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  virtual Result<uint64_t> GetFileSize(const std::string& path) = 0;
  virtual Status CreateDirs(const std::string& dir) = 0;  // like mkdir -p
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status RemoveDir(const std::string& dir) = 0;  // must be empty
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status TruncateFile(const std::string& path, uint64_t size_bytes) = 0;
  // Makes the directory's entries (creates, renames, deletes) durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Wall-clock time, nanoseconds since the Unix epoch.
  virtual uint64_t NowNanos() = 0;
};

}  // namespace tracery::storage
