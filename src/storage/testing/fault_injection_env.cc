#include "storage/testing/fault_injection_env.h"

namespace tracery::storage::testing {
namespace {

class FaultFile final : public WritableFile {
 public:
  FaultFile(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}
  Status Append(std::string_view data) override {
    if (env_->no_space()) return Status::Unavailable("write " + path_ + ": No space left on device (injected)");
    size_t keep;
    if (env_->TakeTear(&keep)) {
      (void)base_->Append(data.substr(0, std::min(keep, data.size())));
      return Status::IOError("write " + path_ + ": torn write (injected)");
    }
    return base_->Append(data);
  }
  Status Sync() override {
    if (env_->fail_sync()) return Status::IOError("fdatasync " + path_ + ": Input/output error (injected)");
    Status st = base_->Sync();
    if (st.ok()) env_->RecordSynced(path_, base_->Size());
    return st;
  }
  Status Truncate(uint64_t size_bytes) override { return base_->Truncate(size_bytes); }
  Status Close() override { return base_->Close(); }
  uint64_t Size() const override { return base_->Size(); }

 private:
  FaultInjectionEnv* env_;
  std::string path_;
  std::unique_ptr<WritableFile> base_;
};

}  // namespace

Result<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewWritableFile(const std::string& path, bool truncate) {
  if (no_space_) return Status::Unavailable("open " + path + ": No space left on device (injected)");
  auto f = base_->NewWritableFile(path, truncate);
  if (!f.ok()) return f.status();
  RecordCreated(path, truncate ? 0 : (*f)->Size());
  return std::unique_ptr<WritableFile>(new FaultFile(this, path, std::move(*f)));
}

void FaultInjectionEnv::RecordSynced(const std::string& path, uint64_t size) {
  std::lock_guard lock(mu_);
  synced_size_[path] = size;
}

void FaultInjectionEnv::RecordCreated(const std::string& path, uint64_t size) {
  std::lock_guard lock(mu_);
  synced_size_.try_emplace(path, size);
  if (size == 0) synced_size_[path] = 0;
}

bool FaultInjectionEnv::TakeTear(size_t* keep_bytes) {
  std::lock_guard lock(mu_);
  if (!tear_next_) return false;
  tear_next_ = false;
  *keep_bytes = tear_keep_bytes_;
  return true;
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  {
    std::lock_guard lock(mu_);
    synced_size_.erase(path);
  }
  return base_->RemoveFile(path);
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  {
    std::lock_guard lock(mu_);
    auto it = synced_size_.find(from);
    if (it != synced_size_.end()) {
      synced_size_[to] = it->second;
      synced_size_.erase(it);
    }
  }
  return base_->RenameFile(from, to);
}

Status FaultInjectionEnv::DropUnsyncedData() {
  std::lock_guard lock(mu_);
  for (const auto& [path, size] : synced_size_) {
    if (!base_->FileExists(path)) continue;
    TRACERY_RETURN_IF_ERROR(base_->TruncateFile(path, size));
  }
  return Status::Ok();
}

}  // namespace tracery::storage::testing
