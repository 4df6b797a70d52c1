// MemoryFileEnv: an Env for fuzz targets that serves one file's bytes from
// memory (the fuzzer's input) under any path, and forwards everything else
// to Env::Default(). Lets the storage readers run on corrupt bytes without
// touching the disk. Not thread-safe: one fuzz iteration at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "storage/env.h"

namespace tracery::fuzz {

class MemoryFileEnv final : public storage::Env {
 public:
  explicit MemoryFileEnv(std::string_view contents) : contents_(contents) {}

  Result<std::unique_ptr<storage::WritableFile>> NewWritableFile(const std::string&, bool) override {
    return Status::IOError("MemoryFileEnv is read-only");
  }
  Result<std::unique_ptr<storage::RandomAccessFile>> NewRandomAccessFile(const std::string&) override {
    return std::unique_ptr<storage::RandomAccessFile>(new MemoryFile(contents_));
  }
  Result<std::string> ReadFileToString(const std::string&) override { return std::string(contents_); }
  Result<std::vector<std::string>> GetChildren(const std::string&) override { return std::vector<std::string>{}; }
  bool FileExists(const std::string&) override { return true; }
  Result<uint64_t> GetFileSize(const std::string&) override { return uint64_t{contents_.size()}; }
  Status CreateDirs(const std::string&) override { return Status::IOError("read-only"); }
  Status RemoveFile(const std::string&) override { return Status::IOError("read-only"); }
  Status RemoveDir(const std::string&) override { return Status::IOError("read-only"); }
  Status RenameFile(const std::string&, const std::string&) override { return Status::IOError("read-only"); }
  Status TruncateFile(const std::string&, uint64_t) override { return Status::IOError("read-only"); }
  Status SyncDir(const std::string&) override { return Status::Ok(); }
  uint64_t NowNanos() override { return 1'700'000'000'000'000'000ull; }

 private:
  class MemoryFile final : public storage::RandomAccessFile {
   public:
    explicit MemoryFile(std::string_view data) : data_(data) {}
    Status Read(uint64_t offset, size_t n, std::string* out) const override {
      if (offset > data_.size() || n > data_.size() - offset) {
        return Status::Corruption("read past the end of the file");
      }
      out->assign(data_.data() + offset, n);
      return Status::Ok();
    }
    uint64_t Size() const override { return data_.size(); }

   private:
    std::string_view data_;
  };

  std::string_view contents_;
};

}  // namespace tracery::fuzz
