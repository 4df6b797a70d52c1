// FaultInjectionEnv: an Env wrapper for tests that can tear writes, fail
// fsync, report a full disk, and simulate a crash by dropping every byte
// that was not fsynced (LevelDB's fault_injection_test idea).
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "storage/env.h"

namespace tracery::storage::testing {

class FaultInjectionEnv final : public Env {
 public:
  explicit FaultInjectionEnv(Env* base) : base_(base) {}

  // Every Append/NewWritableFile fails with Unavailable (ENOSPC) while set.
  void SetNoSpace(bool v) { no_space_ = v; }
  // Every Sync fails with IOError while set.
  void SetFailSync(bool v) { fail_sync_ = v; }
  // The next Append writes only its first `keep_bytes` bytes, then fails.
  void TearNextAppend(size_t keep_bytes) {
    std::lock_guard lock(mu_);
    tear_next_ = true;
    tear_keep_bytes_ = keep_bytes;
  }
  // Simulates a power loss: cuts every file written through this Env back
  // to its last synced size. Call after the store is destroyed.
  Status DropUnsyncedData();
  // Overrides NowNanos (0: use the base clock).
  void SetNowNanos(uint64_t ns) { now_ns_ = ns; }

  // Bookkeeping used by the wrapped files.
  void RecordSynced(const std::string& path, uint64_t size);
  void RecordCreated(const std::string& path, uint64_t size);
  bool TakeTear(size_t* keep_bytes);
  bool no_space() const { return no_space_; }
  bool fail_sync() const { return fail_sync_; }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path, bool truncate) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    return base_->NewRandomAccessFile(path);
  }
  Result<std::string> ReadFileToString(const std::string& path) override { return base_->ReadFileToString(path); }
  Result<std::vector<std::string>> GetChildren(const std::string& dir) override { return base_->GetChildren(dir); }
  bool FileExists(const std::string& path) override { return base_->FileExists(path); }
  Result<uint64_t> GetFileSize(const std::string& path) override { return base_->GetFileSize(path); }
  Status CreateDirs(const std::string& dir) override { return base_->CreateDirs(dir); }
  Status RemoveFile(const std::string& path) override;
  Status RemoveDir(const std::string& dir) override { return base_->RemoveDir(dir); }
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status TruncateFile(const std::string& path, uint64_t size_bytes) override {
    return base_->TruncateFile(path, size_bytes);
  }
  Status SyncDir(const std::string& dir) override { return base_->SyncDir(dir); }
  uint64_t NowNanos() override { return now_ns_ ? now_ns_.load() : base_->NowNanos(); }

 private:
  Env* base_;
  std::atomic<bool> no_space_{false}, fail_sync_{false};
  std::atomic<uint64_t> now_ns_{0};
  std::mutex mu_;
  bool tear_next_ = false;
  size_t tear_keep_bytes_ = 0;
  std::map<std::string, uint64_t> synced_size_;  // path -> bytes known durable
};

}  // namespace tracery::storage::testing
