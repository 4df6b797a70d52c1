#include "cluster/wal_staged_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "storage/span_codec.h"
#include "storage/wal_reader.h"

namespace tracery::cluster {

struct WalStagedStore::Group {
  std::string framed;
  bool done = false;
  Status status;
};

WalStagedStore::WalStagedStore(WalStagedStoreOptions options, std::unique_ptr<storage::SpanStore> inner)
    : options_(std::move(options)),
      env_(options_.env != nullptr ? options_.env : storage::Env::Default()),
      inner_(std::move(inner)) {}

Result<std::unique_ptr<WalStagedStore>> WalStagedStore::Open(WalStagedStoreOptions options,
                                                             std::unique_ptr<storage::SpanStore> inner) {
  if (options.dir.empty()) return Status::InvalidArgument("the staging WAL needs a directory (--cluster-wal-dir)");
  if (inner == nullptr) return Status::InvalidArgument("the staging WAL needs a store to deliver to");
  std::unique_ptr<WalStagedStore> store(new WalStagedStore(std::move(options), std::move(inner)));
  TRACERY_RETURN_IF_ERROR(store->Init());
  store->ship_thread_ = std::thread([s = store.get()] { s->ShipLoop(); });
  return store;
}

std::string WalStagedStore::PathOf(uint64_t number) const {
  return options_.dir + "/" + std::to_string(number) + ".wal";
}

Status WalStagedStore::Init() {
  TRACERY_RETURN_IF_ERROR(env_->CreateDirs(options_.dir));
  auto names = env_->GetChildren(options_.dir);
  if (!names.ok()) return names.status();
  std::vector<uint64_t> numbers;
  for (const auto& name : *names) {
    if (name.size() <= 4 || name.substr(name.size() - 4) != ".wal") continue;
    const std::string digits = name.substr(0, name.size() - 4);
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    numbers.push_back(std::stoull(digits));
  }
  std::sort(numbers.begin(), numbers.end());
  std::lock_guard<std::mutex> lock(mu_);
  for (uint64_t n : numbers) {
    auto size = env_->GetFileSize(PathOf(n));
    if (size.ok()) staged_bytes_ += *size;
    sealed_.push_back(n);
    next_number_ = n + 1;
  }
  if (!numbers.empty()) {
    spdlog::info("staging WAL in {}: {} file(s), {} bytes acknowledged earlier, delivering them", options_.dir,
                 numbers.size(), staged_bytes_);
  }
  return Status::Ok();
}

WalStagedStore::~WalStagedStore() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    stopping_ = true;
    (void)SealLocked(lock);
  }
  cv_.notify_all();
  if (ship_thread_.joinable()) ship_thread_.join();
  std::lock_guard<std::mutex> deliver(deliver_mu_);
  if (auto st = DeliverSealed(); !st.ok()) {
    spdlog::warn("staging WAL: {} bytes not yet delivered stay in {} for the next start ({})", staged_bytes(),
                 options_.dir, st.ToString());
  }
}

Status WalStagedStore::Write(const model::SpanBatch& batch) {
  if (batch.spans.empty()) return Status::Ok();
  std::string record;
  const size_t begin = storage::WalWriter::BeginRecord(&record);
  storage::EncodeSpanBatch(batch, &record);
  storage::WalWriter::FinishRecord(storage::kWalRecordSpanBatch, begin, &record);

  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) return Status::Unavailable("collector is shutting down; retry on another member");
  if (staged_bytes_ + record.size() > options_.max_staged_bytes) {
    return Status::ResourceExhausted("the storage backend is not keeping up (" + std::to_string(staged_bytes_) +
                                     " bytes waiting in the staging WAL); retry later");
  }
  if (!collecting_) collecting_ = std::make_shared<Group>();
  std::shared_ptr<Group> mine = collecting_;
  mine->framed += record;
  while (!mine->done) {
    if (writing_) {
      cv_.wait(lock);
      continue;
    }
    // Leader: write everything collected so far in one append + fsync.
    // A file whose failed append could not be undone is sealed; its good
    // prefix is still delivered (the reader stops at the bad tail).
    if (writer_ != nullptr && writer_->broken()) (void)SealLocked(lock);
    std::shared_ptr<Group> group = std::move(collecting_);
    collecting_.reset();
    writing_ = true;
    Status st;
    if (writer_ == nullptr) {
      const uint64_t n = next_number_++;
      auto file = env_->NewWritableFile(PathOf(n), /*truncate=*/true);
      if (file.ok()) {
        writer_ = std::make_unique<storage::WalWriter>(std::move(file).value());
        active_number_ = n;
        st = env_->SyncDir(options_.dir);
      } else {
        st = file.status();
      }
    }
    storage::WalWriter* writer = writer_.get();
    lock.unlock();
    if (st.ok()) st = writer->AppendFramed(group->framed);
    if (st.ok()) st = writer->Sync();
    lock.lock();
    writing_ = false;
    if (st.ok()) staged_bytes_ += group->framed.size();
    group->framed.clear();
    group->framed.shrink_to_fit();
    group->status = st;
    group->done = true;
    cv_.notify_all();
  }
  return mine->status;
}

Status WalStagedStore::SealLocked(std::unique_lock<std::mutex>& lock) {
  cv_.wait(lock, [this] { return !writing_; });
  if (writer_ == nullptr) return Status::Ok();
  const bool empty = writer_->size_bytes() == 0;
  Status st = writer_->Close();
  writer_.reset();
  if (empty) {
    (void)env_->RemoveFile(PathOf(active_number_));
  } else {
    sealed_.push_back(active_number_);
  }
  return st;
}

Status WalStagedStore::DeliverSealed() {
  for (;;) {
    uint64_t number;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (sealed_.empty()) return Status::Ok();
      number = sealed_.front();
    }
    const std::string path = PathOf(number);
    model::SpanBatch pending;
    Status write_status;
    auto flush_pending = [&]() -> Status {
      if (pending.spans.empty()) return Status::Ok();
      Status st = inner_->Write(pending);
      if (st.ok()) pending = model::SpanBatch();
      return st;
    };
    auto read = storage::ReadWalFile(env_, path, [&](uint8_t type, std::string_view payload) -> Status {
      if (type != storage::kWalRecordSpanBatch) return Status::Ok();
      auto batch = storage::DecodeSpanBatch(payload);
      if (!batch.ok()) return batch.status();
      for (const auto& s : batch->spans) pending.AppendFrom(*batch, s);
      if (pending.spans.size() >= options_.max_spans_per_delivery) return flush_pending();
      return Status::Ok();
    });
    if (!read.ok()) {
      if (read.status().code() == Status::Code::kCorruption) {
        // A record that checksums but does not decode cannot be delivered
        // ever; keep the file aside for inspection rather than block forever.
        spdlog::error("staging WAL {}: {}; moved aside as {}.bad", path, read.status().message(), path);
        (void)env_->RenameFile(path, path + ".bad");
      } else {
        return read.status();
      }
    } else {
      if (read->bad_tail_bytes > 0) {
        spdlog::warn("staging WAL {}: ignoring a torn tail of {} bytes ({})", path, read->bad_tail_bytes,
                     read->bad_tail_reason);
      }
      TRACERY_RETURN_IF_ERROR(flush_pending());
      auto size = env_->GetFileSize(path);
      TRACERY_RETURN_IF_ERROR(env_->RemoveFile(path));
      std::lock_guard<std::mutex> lock(mu_);
      if (size.ok()) staged_bytes_ -= std::min(staged_bytes_, *size);
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (!sealed_.empty() && sealed_.front() == number) sealed_.pop_front();
  }
}

void WalStagedStore::ShipLoop() {
  auto last_warning = std::chrono::steady_clock::time_point{};
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(options_.ship_interval_ms), [this] { return stopping_; });
      if (stopping_) return;
      (void)SealLocked(lock);
    }
    std::lock_guard<std::mutex> deliver(deliver_mu_);
    if (auto st = DeliverSealed(); !st.ok()) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_warning > std::chrono::seconds(10)) {
        last_warning = now;
        spdlog::warn("staging WAL: delivery to the store failed, will retry ({} bytes waiting): {}", staged_bytes(),
                     st.ToString());
      }
    }
  }
}

Status WalStagedStore::Flush() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    TRACERY_RETURN_IF_ERROR(SealLocked(lock));
  }
  {
    std::lock_guard<std::mutex> deliver(deliver_mu_);
    TRACERY_RETURN_IF_ERROR(DeliverSealed());
  }
  return inner_->Flush();
}

uint64_t WalStagedStore::staged_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return staged_bytes_;
}

storage::StoreStats WalStagedStore::Stats() { return inner_->Stats(); }

Result<model::SpanBatch> WalStagedStore::GetTrace(const model::TraceId& id, size_t max_spans) {
  return inner_->GetTrace(id, max_spans);
}
Result<storage::FindResult> WalStagedStore::FindTraces(const storage::TraceQuery& query) {
  return inner_->FindTraces(query);
}
Result<std::vector<std::string>> WalStagedStore::GetServices() { return inner_->GetServices(); }
Result<std::vector<storage::Operation>> WalStagedStore::GetOperations(const std::string& service,
                                                                      std::optional<model::SpanKind> kind) {
  return inner_->GetOperations(service, kind);
}
Result<std::vector<storage::DependencyLink>> WalStagedStore::GetDependencies(uint64_t start_ns, uint64_t end_ns) {
  return inner_->GetDependencies(start_ns, end_ns);
}
Status WalStagedStore::ScanSpans(uint64_t start_ns, uint64_t end_ns,
                                 const std::function<bool(const model::SpanBatch&)>& fn) {
  return inner_->ScanSpans(start_ns, end_ns, fn);
}

}  // namespace tracery::cluster
