#include "storage/embedded_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "storage/crc32c.h"
#include "storage/span_codec.h"
#include "storage/span_matcher.h"
#include "storage/trace_search.h"
#include "storage/wal_reader.h"

namespace tracery::storage {
namespace {

constexpr size_t kMaxGroupBytes = 8u << 20;

bool ParseNumber(std::string_view s, std::string_view suffix, uint64_t* out) {
  if (s.size() <= suffix.size() || s.substr(s.size() - suffix.size()) != suffix) return false;
  s.remove_suffix(suffix.size());
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string NumberName(uint64_t n, std::string_view suffix) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020llu", static_cast<unsigned long long>(n));
  return std::string(buf) + std::string(suffix);
}

Status ValidateBatch(const model::SpanBatch& b) {
  for (size_t i = 0; i < b.spans.size(); ++i) {
    const auto& s = b.spans[i];
    if (s.resource_index >= b.resources.size()) {
      return Status::InvalidArgument("span " + std::to_string(i) + ": resource_index " +
                                     std::to_string(s.resource_index) + " out of range");
    }
    if (s.scope_index >= b.scopes.size()) {
      return Status::InvalidArgument("span " + std::to_string(i) + ": scope_index " +
                                     std::to_string(s.scope_index) + " out of range");
    }
  }
  return Status::Ok();
}

uint64_t NowSteadyMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

TracePartial PartialOf(const Memtable& m, const std::vector<model::Span>& spans) {
  TracePartial p;
  for (const auto& s : spans) p.AddSpan(s, m.resource(s.resource_index).ServiceName());
  return p;
}

// Bits (resource_index % 64) of m's resources whose service is `service`
// (all bits for an empty service). REQUIRES: inside m.ForEachTrace.
uint64_t ServiceBits(const Memtable& m, const std::string& service) {
  if (service.empty()) return ~0ull;
  uint64_t bits = 0;
  for (size_t i = 0; i < m.resource_count(); ++i) {
    if (m.resource(static_cast<uint32_t>(i)).ServiceName() == service) bits |= 1ull << (i % 64);
  }
  return bits;
}

// Appends a span with its resource and scope to *out, reusing the last ones.
void AppendSpan(const model::Span& s, const model::Resource& r, const model::Scope& sc, model::SpanBatch* out) {
  if (out->resources.empty() || !(out->resources.back() == r)) out->resources.push_back(r);
  if (out->scopes.empty() || !(out->scopes.back() == sc)) out->scopes.push_back(sc);
  out->spans.push_back(s);
  out->spans.back().resource_index = static_cast<uint32_t>(out->resources.size() - 1);
  out->spans.back().scope_index = static_cast<uint32_t>(out->scopes.size() - 1);
}

}  // namespace

struct EmbeddedStore::Writer {
  const model::SpanBatch* batch = nullptr;  // nullptr: a Flush() request
  std::string record;                       // framed WAL record
  std::vector<EncodedSpanRange> span_ranges;  // each span's bytes in `record`
  Status status;
  bool done = false;
  std::condition_variable cv;
};

EmbeddedStore::EmbeddedStore(EmbeddedStoreOptions options)
    : options_(std::move(options)),
      env_(options_.env ? options_.env : Env::Default()),
      wal_dir_(options_.data_dir + "/wal"),
      segment_dir_(options_.data_dir + "/segments") {}

Result<std::unique_ptr<EmbeddedStore>> EmbeddedStore::Open(const EmbeddedStoreOptions& options) {
  if (options.data_dir.empty()) return Status::InvalidArgument("EmbeddedStoreOptions.data_dir is empty");
  if (options.memtable_max_bytes == 0 || options.max_frozen_memtables == 0 || options.partition_duration_ns == 0) {
    return Status::InvalidArgument(
        "memtable_max_bytes, max_frozen_memtables and partition_duration_ns must be positive");
  }
  std::unique_ptr<EmbeddedStore> store(new EmbeddedStore(options));
  TRACERY_RETURN_IF_ERROR(store->Recover());
  if (options.background_thread) store->bg_thread_ = std::thread([s = store.get()] { s->BackgroundLoop(); });
  return store;
}

EmbeddedStore::~EmbeddedStore() {
  {
    std::unique_lock lock(mu_);
    shutting_down_ = true;
    bg_cv_.notify_all();
  }
  if (bg_thread_.joinable()) bg_thread_.join();
  std::unique_lock lock(mu_);
  if (wal_) {
    if (options_.wal_sync != WalSyncPolicy::kNone) (void)wal_->Sync();
    (void)wal_->Close();
  }
}

std::string EmbeddedStore::WalPath(uint64_t number) const { return wal_dir_ + "/" + NumberName(number, ".log"); }

std::string EmbeddedStore::PartitionName(uint64_t start_ns) const {
  uint64_t part_start_ns = start_ns - start_ns % options_.partition_duration_ns;
  time_t secs = static_cast<time_t>(part_start_ns / 1'000'000'000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Status EmbeddedStore::NewWalFile() {
  uint64_t number = next_file_number_++;
  auto f = env_->NewWritableFile(WalPath(number), /*truncate=*/true);
  if (!f.ok()) return f.status();
  if (wal_) (void)wal_->Close();
  wal_ = std::make_unique<WalWriter>(std::move(*f));
  wal_number_ = number;
  if (mem_) mem_->wal_numbers.push_back(number);
  return env_->SyncDir(wal_dir_);
}

std::string EmbeddedStore::FlushRecordPath(uint64_t number) const {
  return wal_dir_ + "/" + NumberName(number, ".flush");
}

Status EmbeddedStore::WriteFlushRecord(uint64_t number, const std::vector<uint64_t>& wal_numbers,
                                       const std::vector<std::pair<uint64_t, std::string>>& segments) {
  std::string body;
  PutVarint(&body, wal_numbers.size());
  for (uint64_t n : wal_numbers) PutVarint(&body, n);
  PutVarint(&body, segments.size());
  for (const auto& [n, part] : segments) {
    PutVarint(&body, n);
    PutLengthPrefixed(&body, part);
  }
  std::string data;
  PutFixed32(&data, crc32c::Mask(crc32c::Value(body.data(), body.size())));
  data.append(body);
  std::string path = FlushRecordPath(number);
  std::string tmp = path + ".tmp";
  auto f = env_->NewWritableFile(tmp, /*truncate=*/true);
  if (!f.ok()) return f.status();
  Status st = (*f)->Append(data);
  if (st.ok()) st = (*f)->Sync();
  Status close_st = (*f)->Close();
  if (st.ok()) st = close_st;
  if (st.ok()) st = env_->RenameFile(tmp, path);
  if (st.ok()) st = env_->SyncDir(wal_dir_);
  if (!st.ok()) (void)env_->RemoveFile(tmp);
  return st;
}

Status EmbeddedStore::ResolveFlushRecords(uint64_t* max_number) {
  auto names = env_->GetChildren(wal_dir_);
  if (!names.ok()) return names.status();
  for (const auto& name : *names) {
    std::string path = wal_dir_ + "/" + name;
    uint64_t number;
    if (ParseNumber(name, ".flush.tmp", &number)) {
      (void)env_->RemoveFile(path);  // cut short before it was complete: no segment written yet
      continue;
    }
    if (!ParseNumber(name, ".flush", &number)) continue;
    *max_number = std::max(*max_number, number);
    auto data = env_->ReadFileToString(path);
    if (!data.ok()) return data.status();
    ByteReader in(*data);
    uint32_t masked_crc = in.Fixed32();
    std::string_view body = in.ok() ? std::string_view(*data).substr(4) : std::string_view();
    std::vector<uint64_t> wals;
    std::vector<std::pair<uint64_t, std::string>> segs;
    bool ok = in.ok() && crc32c::Mask(crc32c::Value(body.data(), body.size())) == masked_crc;
    if (ok) {
      uint64_t n = in.Varint();
      for (uint64_t i = 0; i < n && in.ok() && n <= in.remaining(); ++i) wals.push_back(in.Varint());
      uint64_t m = in.Varint();
      for (uint64_t i = 0; i < m && in.ok() && m <= in.remaining(); ++i) {
        uint64_t seg = in.Varint();
        std::string_view part = in.LengthPrefixed();
        segs.emplace_back(seg, std::string(part));
      }
      ok = in.ok() && in.empty() && wals.size() == n && segs.size() == m;
    }
    if (!ok) {
      // Written to .tmp, fsynced and renamed: only a disk fault gets here.
      // Without it we cannot tell a finished flush from a partial one; the
      // WAL is replayed (spans may be stored twice, none is lost).
      spdlog::error("storage: flush record {} is corrupt; ignoring it (WAL files are replayed)", path);
      (void)env_->RemoveFile(path);
      continue;
    }
    bool wal_left = false;
    for (uint64_t w : wals) wal_left = wal_left || env_->FileExists(WalPath(w));
    bool complete = true;
    for (const auto& [seg, part] : segs) {
      *max_number = std::max(*max_number, seg);
      complete = complete && segments_.count(seg) != 0;
    }
    if (wal_left && complete) {
      // Crashed after the segments were durable, before the WAL was deleted:
      // the WAL's spans are in segments; replaying it would store them twice.
      spdlog::info("storage: flush {} finished before a crash; removing its {} WAL file(s)", number, wals.size());
      for (uint64_t w : wals) (void)env_->RemoveFile(WalPath(w));
    } else if (wal_left) {
      // Crashed mid-flush: drop the segments it wrote; the WAL replay writes them again.
      spdlog::warn("storage: flush {} was cut short by a crash; its WAL is replayed", number);
      for (const auto& [seg, part] : segs) {
        auto it = segments_.find(seg);
        if (it == segments_.end()) continue;
        TRACERY_RETURN_IF_ERROR(env_->RemoveFile(it->second.reader->path()));
        segments_.erase(it);
      }
    }
    TRACERY_RETURN_IF_ERROR(env_->SyncDir(wal_dir_));
    (void)env_->RemoveFile(path);
  }
  return env_->SyncDir(wal_dir_);
}

Status EmbeddedStore::Recover() {
  TRACERY_RETURN_IF_ERROR(env_->CreateDirs(wal_dir_));
  TRACERY_RETURN_IF_ERROR(env_->CreateDirs(segment_dir_));
  uint64_t max_number = 0;
  auto parts = env_->GetChildren(segment_dir_);
  if (!parts.ok()) return parts.status();
  for (const auto& part : *parts) {
    std::string dir = segment_dir_ + "/" + part;
    auto files = env_->GetChildren(dir);
    if (!files.ok()) continue;  // a stray file, not a partition
    for (const auto& name : *files) {
      std::string path = dir + "/" + name;
      uint64_t number;
      if (name.size() > 4 && name.substr(name.size() - 4) == ".tmp") {
        (void)env_->RemoveFile(path);  // a segment write cut short by a crash
        continue;
      }
      if (!ParseNumber(name, ".seg", &number)) continue;
      max_number = std::max(max_number, number);
      auto reader = SegmentReader::Open(env_, path, number);
      if (!reader.ok()) {
        spdlog::error("storage: segment {} is unreadable ({}); moved aside as {}.corrupt", path,
                      reader.status().message(), path);
        (void)env_->RenameFile(path, path + ".corrupt");
        continue;
      }
      segments_[number] = SegmentEntry{std::move(*reader), part};
    }
  }

  TRACERY_RETURN_IF_ERROR(ResolveFlushRecords(&max_number));
  auto wal_files = env_->GetChildren(wal_dir_);
  if (!wal_files.ok()) return wal_files.status();
  std::vector<uint64_t> wal_numbers;
  for (const auto& name : *wal_files) {
    uint64_t number;
    if (ParseNumber(name, ".log", &number)) wal_numbers.push_back(number);
  }
  std::sort(wal_numbers.begin(), wal_numbers.end());
  auto recovered = std::make_shared<Memtable>(options_.max_spans_per_trace, env_->NowNanos());
  for (uint64_t number : wal_numbers) {
    max_number = std::max(max_number, number);
    std::string path = WalPath(number);
    auto r = ReadWalFile(env_, path, [&](uint8_t type, std::string_view payload) -> Status {
      if (type != kWalRecordSpanBatch) return Status::Corruption("unknown WAL record type " + std::to_string(type));
      auto batch = DecodeSpanBatch(payload);
      if (!batch.ok()) return batch.status();
      recovered->Add(*batch);
      return Status::Ok();
    });
    if (!r.ok()) {
      spdlog::error("storage: WAL {} could not be replayed completely: {}", path, r.status().message());
      continue;
    }
    if (r->bad_tail_bytes > 0) {
      spdlog::warn("storage: WAL {}: {} after {} records; truncating {} bytes at offset {}", path,
                   r->bad_tail_reason, r->records, r->bad_tail_bytes, r->valid_bytes);
      Status st = env_->TruncateFile(path, r->valid_bytes);
      if (!st.ok()) spdlog::error("storage: truncating {} failed: {}", path, st.message());
    }
    recovered->wal_numbers.push_back(number);
  }
  next_file_number_ = max_number + 1;
  if (recovered->SpanCount() > 0) {
    imm_.push_back(recovered);  // the background flush (or Flush()) writes it out
  } else {
    for (uint64_t number : recovered->wal_numbers) (void)env_->RemoveFile(WalPath(number));
  }
  mem_ = std::make_shared<Memtable>(options_.max_spans_per_trace, env_->NowNanos());
  {
    std::lock_guard lock(mu_);
    TRACERY_RETURN_IF_ERROR(NewWalFile());
  }
  Status st = RunRetention();
  if (!st.ok()) spdlog::warn("storage: retention at startup failed: {}", st.message());
  // Without a background thread recovered data is flushed right away.
  if (!options_.background_thread) TRACERY_RETURN_IF_ERROR(FlushFrozenInline());
  return Status::Ok();
}

Status EmbeddedStore::MakeRoomForWrite(std::unique_lock<std::mutex>& lock, bool force) {
  while (true) {
    if (wal_->broken()) {
      Status st = NewWalFile();
      if (!st.ok()) return st;
    }
    if (force ? mem_->SpanCount() == 0
              : (mem_->ApproximateBytes() < options_.memtable_max_bytes &&
                 (mem_->SpanCount() == 0 ||
                  env_->NowNanos() - mem_->created_ns() < options_.memtable_flush_interval_ms * 1'000'000))) {
      return Status::Ok();
    }
    if (imm_.size() >= options_.max_frozen_memtables) {
      uint64_t wait_ms = force ? 60'000 : options_.write_stall_timeout_ms;
      bool room = flush_done_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] {
        return imm_.size() < options_.max_frozen_memtables || shutting_down_;
      });
      if (!room) {
        std::string why = bg_error_.ok() ? "segment flushes are behind" : "segment flush failing: " + bg_error_.message();
        if (bg_error_.code() == Status::Code::kUnavailable) return Status::Unavailable(why);
        return Status::ResourceExhausted("trace store write stalled: " + why + "; retry later");
      }
      continue;
    }
    auto fresh = std::make_shared<Memtable>(options_.max_spans_per_trace, env_->NowNanos());
    auto old = mem_;
    mem_ = fresh;
    Status st = NewWalFile();
    if (!st.ok()) {
      mem_ = old;  // keep writing into the old memtable and WAL
      return st;
    }
    imm_.push_back(old);
    bg_cv_.notify_all();
    if (force) return Status::Ok();
  }
}

Status EmbeddedStore::Write(const model::SpanBatch& batch) {
  TRACERY_RETURN_IF_ERROR(ValidateBatch(batch));
  if (batch.empty()) return Status::Ok();
  Writer w;
  w.batch = &batch;
  size_t off = WalWriter::BeginRecord(&w.record);
  EncodeSpanBatch(batch, &w.record, &w.span_ranges);
  if (w.record.size() - kWalHeaderBytes > kWalMaxRecordBytes) {
    return Status::TooLarge("span batch encodes to more than 256 MiB; split it");
  }
  WalWriter::FinishRecord(kWalRecordSpanBatch, off, &w.record);

  std::unique_lock lock(mu_);
  writers_.push_back(&w);
  while (!w.done && &w != writers_.front()) w.cv.wait(lock);
  if (w.done) return w.status;

  // This thread leads a group: everything queued behind it (up to a Flush
  // request or kMaxGroupBytes) shares one WAL write and one fsync.
  Status st = MakeRoomForWrite(lock, /*force=*/false);
  std::vector<Writer*> group;
  group.push_back(&w);
  size_t bytes = w.record.size();
  for (size_t i = 1; i < writers_.size(); ++i) {
    Writer* o = writers_[i];
    if (o->batch == nullptr || bytes + o->record.size() > kMaxGroupBytes) break;
    group.push_back(o);
    bytes += o->record.size();
  }
  size_t spans = 0;
  if (st.ok()) {
    std::string joined;
    if (group.size() > 1) {
      joined.reserve(bytes);
      for (Writer* g : group) joined.append(g->record);
    }
    std::string_view data = group.size() > 1 ? std::string_view(joined) : std::string_view(w.record);
    WalWriter* wal = wal_.get();
    Memtable* mem = mem_.get();
    bool sync = options_.wal_sync == WalSyncPolicy::kGroupCommit;
    if (options_.wal_sync == WalSyncPolicy::kInterval) {
      uint64_t now = env_->NowNanos();
      if (now - last_wal_sync_ns_ >= options_.wal_sync_interval_ms * 1'000'000) {
        sync = true;
        last_wal_sync_ns_ = now;
      }
    }
    lock.unlock();
    st = wal->AppendFramed(data);
    if (st.ok() && sync) st = wal->Sync();
    if (st.ok()) {
      for (Writer* g : group) {
        mem->AddEncoded(*g->batch, g->record, g->span_ranges);
        spans += g->batch->spans.size();
      }
    }
    lock.lock();
    if (st.ok()) {
      spans_written_ += spans;
    } else {
      spdlog::error("storage: write-ahead log append failed: {}", st.message());
      if (st.code() != Status::Code::kUnavailable) {
        st = Status::Unavailable("write-ahead log write failed: " + st.message());
      }
    }
  }
  for (Writer* g : group) {
    writers_.pop_front();
    g->status = st;
    g->done = true;
    if (g != &w) g->cv.notify_one();
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  return st;
}

Status EmbeddedStore::Flush() {
  if (!options_.background_thread) TRACERY_RETURN_IF_ERROR(FlushFrozenInline());
  {
    Writer w;  // a Flush request rides the writer queue so it never races a leader
    std::unique_lock lock(mu_);
    writers_.push_back(&w);
    while (&w != writers_.front()) w.cv.wait(lock);
    Status st = MakeRoomForWrite(lock, /*force=*/true);
    writers_.pop_front();
    if (!writers_.empty()) writers_.front()->cv.notify_one();
    if (!st.ok()) return st;
  }
  if (!options_.background_thread) return FlushFrozenInline();
  std::unique_lock lock(mu_);
  bg_cv_.notify_all();
  // Wait until the queue drains; give up if flushes keep failing.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!imm_.empty()) {
    if (flush_done_cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      return Status::Unavailable("flush did not finish: " +
                                 (bg_error_.ok() ? std::string("timed out") : bg_error_.message()));
    }
    if (!bg_error_.ok() && !imm_.empty()) return bg_error_;
  }
  return Status::Ok();
}

Status EmbeddedStore::FlushFrozenInline() {
  while (true) {
    std::shared_ptr<Memtable> m;
    {
      std::lock_guard lock(mu_);
      if (imm_.empty()) return Status::Ok();
      m = imm_.front();
    }
    TRACERY_RETURN_IF_ERROR(FlushFrozen(m));
    std::lock_guard lock(mu_);
    imm_.pop_front();
    flush_done_cv_.notify_all();
  }
}

Status EmbeddedStore::FlushFrozen(const std::shared_ptr<Memtable>& mem) {
  auto traces = mem->SortedTraces();
  // Split by the partition of each trace's start, keeping trace-id order.
  std::map<std::string, std::vector<std::pair<model::TraceId, const MemTrace*>>> by_partition;
  uint64_t dropped = 0;
  for (const auto& t : traces) {
    uint64_t start = t.second->min_start_ns;
    dropped += t.second->dropped_spans;
    by_partition[PartitionName(start)].push_back(t);
  }
  SegmentWriteOptions wopt;
  wopt.row_group_spans = options_.row_group_spans;
  wopt.zstd_level = options_.zstd_level;
  // Reserve the segment numbers and record the flush before any segment
  // exists, so recovery can tell a finished flush from a partial one.
  std::vector<std::pair<uint64_t, std::string>> planned;
  std::vector<uint64_t> flushed_wals;
  {
    std::lock_guard lock(mu_);
    for (const auto& [part, list] : by_partition) planned.emplace_back(next_file_number_++, part);
    flushed_wals = mem->wal_numbers;
    // The active WAL file may belong to this memtable only if it was never
    // rotated; it is not (rotation always opens a new file), but be safe.
    flushed_wals.erase(std::remove(flushed_wals.begin(), flushed_wals.end(), wal_number_), flushed_wals.end());
  }
  const uint64_t flush_number = planned.empty() ? 0 : planned.front().first;
  std::vector<SegmentEntry> written;
  Status st;
  if (!planned.empty()) st = WriteFlushRecord(flush_number, flushed_wals, planned);
  size_t part_index = 0;
  for (const auto& [part, list] : by_partition) {
    if (!st.ok()) break;
    uint64_t number = planned[part_index++].first;
    std::string dir = segment_dir_ + "/" + part;
    auto info = WriteSegment(env_, dir, NumberName(number, ".seg"), *mem, list, wopt);
    if (!info.ok()) {
      st = info.status();
      break;
    }
    auto reader = SegmentReader::Open(env_, dir + "/" + NumberName(number, ".seg"), number);
    if (!reader.ok()) {
      st = reader.status();
      break;
    }
    written.push_back(SegmentEntry{std::move(*reader), part});
  }
  if (!st.ok()) {
    // Undo the partial flush so a retry does not store spans twice.
    for (auto& e : written) (void)env_->RemoveFile(e.reader->path());
    if (!planned.empty()) (void)env_->RemoveFile(FlushRecordPath(flush_number));
    std::lock_guard lock(mu_);
    bg_error_ = st;
    flush_done_cv_.notify_all();
    return st;
  }
  dropped_spans_ += dropped;
  {
    std::lock_guard lock(mu_);
    for (auto& e : written) segments_[e.reader->number()] = e;
    bg_error_ = Status::Ok();
  }
  bool wals_removed = true;
  for (uint64_t n : flushed_wals) wals_removed = env_->RemoveFile(WalPath(n)).ok() && wals_removed;
  // A WAL file left behind is removed on the next open, thanks to the record.
  if (!planned.empty() && wals_removed) {
    // The record goes only once the WAL deletions are durable.
    (void)env_->SyncDir(wal_dir_);
    (void)env_->RemoveFile(FlushRecordPath(flush_number));
  }
  return Status::Ok();
}

void EmbeddedStore::BackgroundLoop() {
  uint64_t last_maintenance_ms = NowSteadyMs();
  std::unique_lock lock(mu_);
  while (!shutting_down_) {
    if (!imm_.empty()) {
      auto m = imm_.front();
      lock.unlock();
      Status st = FlushFrozen(m);
      lock.lock();
      if (st.ok()) {
        imm_.pop_front();
        flush_done_cv_.notify_all();
      } else {
        spdlog::error("storage: flushing a memtable to segments failed (will retry): {}", st.message());
        bg_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return shutting_down_; });
      }
      continue;
    }
    uint64_t now = NowSteadyMs();
    if (maintenance_requested_ || now - last_maintenance_ms >= options_.maintenance_interval_ms) {
      maintenance_requested_ = false;
      last_maintenance_ms = now;
      lock.unlock();
      Status st = RunMaintenance();
      if (!st.ok()) spdlog::warn("storage: maintenance failed: {}", st.message());
      lock.lock();
      continue;
    }
    bg_cv_.wait_for(lock, std::chrono::milliseconds(std::min<uint64_t>(options_.maintenance_interval_ms, 1000)));
  }
}

Status EmbeddedStore::RunMaintenance() {
  Status st;
  if (options_.compaction) st = RunCompaction();
  Status rt = RunRetention();
  return st.ok() ? rt : st;
}

Status EmbeddedStore::RunCompaction() {
  // Pick, per partition, the oldest small segments while they fit the target.
  std::vector<std::vector<SegmentEntry>> jobs;
  {
    std::lock_guard lock(mu_);
    std::map<std::string, std::vector<SegmentEntry>> small;
    for (const auto& [n, e] : segments_) {
      if (e.reader->file_bytes() < options_.segment_target_bytes / 2) small[e.partition].push_back(e);
    }
    for (auto& [part, list] : small) {
      if (list.size() < options_.compaction_min_segments) continue;
      std::vector<SegmentEntry> job;
      uint64_t bytes = 0;
      for (auto& e : list) {
        if (!job.empty() && bytes + e.reader->file_bytes() > options_.segment_target_bytes) break;
        bytes += e.reader->file_bytes();
        job.push_back(e);
      }
      if (job.size() >= 2) jobs.push_back(std::move(job));
    }
  }
  for (const auto& job : jobs) {
    // Decode the inputs into a scratch memtable and write it as one segment.
    Memtable merged(SIZE_MAX, env_->NowNanos());
    for (const auto& e : job) {
      model::SpanBatch batch;
      Status st = e.reader->ForEachTrace({}, [&](uint32_t, const std::vector<model::Span>& spans) {
        batch.resources.clear();
        batch.scopes.clear();
        batch.spans.clear();
        for (const auto& s : spans) {
          AppendSpan(s, e.reader->resources()[s.resource_index], e.reader->scopes()[s.scope_index], &batch);
        }
        merged.Add(batch);
        return true;
      });
      if (!st.ok()) return st;
    }
    uint64_t number;
    {
      std::lock_guard lock(mu_);
      number = next_file_number_++;
    }
    SegmentWriteOptions wopt;
    wopt.row_group_spans = options_.row_group_spans;
    wopt.zstd_level = options_.zstd_level;
    std::string dir = segment_dir_ + "/" + job.front().partition;
    std::string name = NumberName(number, ".seg");
    auto info = WriteSegment(env_, dir, name, merged, merged.SortedTraces(), wopt);
    if (!info.ok()) return info.status();
    auto reader = SegmentReader::Open(env_, dir + "/" + name, number);
    if (!reader.ok()) return reader.status();
    {
      std::lock_guard lock(mu_);
      for (const auto& e : job) segments_.erase(e.reader->number());
      segments_[number] = SegmentEntry{std::move(*reader), job.front().partition};
    }
    for (const auto& e : job) (void)env_->RemoveFile(e.reader->path());
    (void)env_->SyncDir(dir);
  }
  return Status::Ok();
}

Status EmbeddedStore::RunRetention() {
  uint64_t now = env_->NowNanos();
  std::vector<std::string> drop;
  std::vector<SegmentEntry> dropped;
  {
    std::lock_guard lock(mu_);
    struct Part {
      uint64_t newest_ns = 0, oldest_ns = UINT64_MAX, bytes = 0;
    };
    std::map<std::string, Part> parts;
    uint64_t total = 0;
    for (const auto& [n, e] : segments_) {
      Part& p = parts[e.partition];
      p.newest_ns = std::max(p.newest_ns, e.reader->max_end_ns());
      p.oldest_ns = std::min(p.oldest_ns, e.reader->min_start_ns());
      p.bytes += e.reader->file_bytes();
      total += e.reader->file_bytes();
    }
    std::set<std::string> chosen;
    if (options_.retention_period_ns > 0 && now > options_.retention_period_ns) {
      for (const auto& [name, p] : parts) {
        if (p.newest_ns < now - options_.retention_period_ns) {
          chosen.insert(name);
          total -= p.bytes;
        }
      }
    }
    if (options_.max_disk_bytes > 0 && total > options_.max_disk_bytes) {
      std::vector<std::pair<uint64_t, std::string>> by_age;
      for (const auto& [name, p] : parts) {
        if (!chosen.count(name)) by_age.emplace_back(p.oldest_ns, name);
      }
      std::sort(by_age.begin(), by_age.end());
      for (const auto& [age, name] : by_age) {
        if (total <= options_.max_disk_bytes) break;
        chosen.insert(name);
        total -= parts[name].bytes;
      }
    }
    for (auto it = segments_.begin(); it != segments_.end();) {
      if (chosen.count(it->second.partition)) {
        dropped.push_back(it->second);
        it = segments_.erase(it);
      } else {
        ++it;
      }
    }
    drop.assign(chosen.begin(), chosen.end());
  }
  for (const auto& e : dropped) (void)env_->RemoveFile(e.reader->path());
  for (const auto& part : drop) {
    std::string dir = segment_dir_ + "/" + part;
    auto files = env_->GetChildren(dir);
    if (files.ok()) {
      for (const auto& f : *files) (void)env_->RemoveFile(dir + "/" + f);
    }
    Status st = env_->RemoveDir(dir);
    if (!st.ok()) spdlog::warn("storage: retention could not remove {}: {}", dir, st.message());
    spdlog::info("storage: retention dropped partition {}", part);
  }
  return Status::Ok();
}

EmbeddedStore::Snapshot EmbeddedStore::TakeSnapshot() {
  Snapshot s;
  std::lock_guard lock(mu_);
  s.memtables.push_back(mem_);
  s.memtables.insert(s.memtables.end(), imm_.begin(), imm_.end());
  s.segments.reserve(segments_.size());
  for (const auto& [n, e] : segments_) s.segments.push_back(e);
  return s;
}

Result<model::SpanBatch> EmbeddedStore::GetTrace(const model::TraceId& id, size_t max_spans) {
  Snapshot snap = TakeSnapshot();
  model::SpanBatch out;
  for (const auto& m : snap.memtables) m->GetTrace(id, &out);
  for (const auto& e : snap.segments) {
    bool found = false;
    Status st = e.reader->GetTrace(id, &out, &found);
    if (!st.ok()) spdlog::error("storage: GetTrace skipped segment: {}", st.message());
  }
  if (out.spans.empty()) return Status::NotFound("trace " + id.ToHex() + " not found");
  if (out.spans.size() > max_spans) {
    std::stable_sort(out.spans.begin(), out.spans.end(), [](const model::Span& a, const model::Span& b) {
      return a.start_time_unix_nano < b.start_time_unix_nano;
    });
    out.spans.resize(max_spans);
  }
  return out;
}

namespace {

struct OrderKey {
  TraceOrder order;
  uint64_t Key(const TraceSummary& t) const {
    return order == TraceOrder::kMostRecent ? t.start_time_unix_nano : t.DurationNanos();
  }
  // True when a comes before b in the result order.
  bool Before(uint64_t ka, const model::TraceId& ia, uint64_t kb, const model::TraceId& ib) const {
    if (ka != kb) return order == TraceOrder::kShortestFirst ? ka < kb : ka > kb;
    return ia < ib;
  }
};

struct Candidate {
  TracePartial partial;
  uint64_t mask = 0;     // conditions confirmed
  uint64_t pending = 0;  // conditions a segment may confirm after decoding
};

struct PendingVerify {
  std::shared_ptr<SegmentReader> reader;
  std::unordered_map<uint32_t, Candidate*> hits;  // ordinal -> candidate
  std::vector<uint64_t> verify_mask;              // per ordinal: conditions to check
};

}  // namespace

Result<FindResult> EmbeddedStore::FindTraces(const TraceQuery& q) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(q.timeout_ms);
  if (q.span_conditions.size() > 64) return Status::InvalidArgument("at most 64 span conditions");
  if (q.start_time_min_ns > q.start_time_max_ns) return Status::InvalidArgument("start_time_min_ns > start_time_max_ns");
  Snapshot snap = TakeSnapshot();
  SearchSources sources;
  sources.memtables = std::move(snap.memtables);
  sources.segments.reserve(snap.segments.size());
  for (auto& e : snap.segments) sources.segments.push_back(std::move(e.reader));
  return SearchTraces(sources, q, options_.max_trace_duration_ns, deadline);
}

Result<FindResult> EmbeddedStore::FindTracesExhaustive(const TraceQuery& q) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(q.timeout_ms);
  auto expired = [&] { return std::chrono::steady_clock::now() > deadline; };
  auto timeout = [&] {
    return Status::DeadlineExceeded("trace search ran past its " + std::to_string(q.timeout_ms) +
                                    " ms budget; narrow the time range or add conditions");
  };
  if (q.span_conditions.size() > 64) return Status::InvalidArgument("at most 64 span conditions");
  if (q.start_time_min_ns > q.start_time_max_ns) return Status::InvalidArgument("start_time_min_ns > start_time_max_ns");
  OrderKey ok{q.order};
  bool has_cursor = !q.cursor.empty();
  uint64_t cursor_key = 0;
  model::TraceId cursor_id;
  if (has_cursor) {
    size_t colon = q.cursor.find(':');
    std::optional<model::TraceId> id;
    if (colon != std::string::npos) id = model::TraceId::FromHex(std::string_view(q.cursor).substr(colon + 1));
    auto [p, ec] = std::from_chars(q.cursor.data(), q.cursor.data() + (colon == std::string::npos ? 0 : colon), cursor_key);
    if (colon == std::string::npos || !id || ec != std::errc() || p != q.cursor.data() + colon) {
      return Status::InvalidArgument("malformed cursor; pass FindResult.next_cursor unchanged");
    }
    cursor_id = *id;
  }
  const size_t nconds = q.span_conditions.size();
  const uint64_t all_mask = nconds == 64 ? ~0ull : ((1ull << nconds) - 1);
  auto in_range = [&](uint64_t start) { return start >= q.start_time_min_ns && start <= q.start_time_max_ns; };

  Snapshot snap = TakeSnapshot();
  std::unordered_map<model::TraceId, Candidate, model::TraceIdHash> cands;

  // Pass 1: traces with a part starting in range that may satisfy some condition.
  std::vector<model::Span> spans;  // a memtable trace, decoded (reused)
  for (const auto& m : snap.memtables) {
    std::vector<uint64_t> service_bits;  // per condition
    size_t resources_seen = 0;
    m->ForEachTrace([&](const model::TraceId& id, const MemTrace& t) {
      if (t.span_count == 0 || !in_range(t.min_start_ns)) return true;
      if (nconds == 0) {
        cands.try_emplace(id);
        return true;
      }
      // The resource table may grow during the walk: refresh the bits then.
      if (service_bits.empty() || resources_seen != m->resource_count()) {
        resources_seen = m->resource_count();
        service_bits.clear();
        for (const auto& c : q.span_conditions) service_bits.push_back(ServiceBits(*m, c.service));
      }
      bool any = false, decoded = false;
      for (size_t c = 0; c < nconds && !any; ++c) {
        if (!MayMatch(t, q.span_conditions[c], service_bits[c])) continue;
        if (!decoded) {
          DecodeSpans(t, &spans);
          decoded = true;
        }
        for (const auto& s : spans) {
          if (SpanMatches(q.span_conditions[c], s, m->resource(s.resource_index))) {
            any = true;
            break;
          }
        }
      }
      if (any) cands.try_emplace(id);
      return true;
    });
  }
  for (const auto& e : snap.segments) {
    auto& r = *e.reader;
    if (r.max_start_ns() < q.start_time_min_ns || r.min_start_ns() > q.start_time_max_ns) continue;
    if (expired()) return timeout();
    auto table = r.Traces();
    if (!table.ok()) return table.status();
    const auto& tt = **table;
    auto consider = [&](uint32_t o) {
      if (in_range(tt.start_ns[o])) cands.try_emplace(tt.ids[o]);
    };
    if (nconds == 0) {
      for (uint32_t o = 0; o < tt.ids.size(); ++o) consider(o);
      continue;
    }
    std::vector<uint32_t> any;
    bool all = false;
    for (const auto& c : q.span_conditions) {
      bool exact;
      auto cand = r.Candidates(c, &exact);
      if (!cand.ok()) return cand.status();
      if (!cand->has_value()) {
        all = true;
        break;
      }
      std::vector<uint32_t> merged;
      std::set_union(any.begin(), any.end(), (*cand)->begin(), (*cand)->end(), std::back_inserter(merged));
      any.swap(merged);
    }
    if (all) {
      for (uint32_t o = 0; o < tt.ids.size(); ++o) consider(o);
    } else {
      for (uint32_t o : any) consider(o);
    }
  }
  if (expired()) return timeout();

  // Pass 2: merge every part of each candidate (from sources near the range)
  // and check the conditions exactly.
  uint64_t lo = q.start_time_min_ns > options_.max_trace_duration_ns ? q.start_time_min_ns - options_.max_trace_duration_ns : 0;
  uint64_t hi = q.start_time_max_ns > UINT64_MAX - options_.max_trace_duration_ns ? UINT64_MAX
                                                                                    : q.start_time_max_ns + options_.max_trace_duration_ns;
  std::vector<PendingVerify> pending;
  if (!cands.empty()) {
    for (const auto& m : snap.memtables) {
      m->ForEachTrace([&](const model::TraceId& id, const MemTrace& t) {
        auto it = cands.find(id);
        if (it == cands.end() || t.span_count == 0) return true;
        DecodeSpans(t, &spans);
        it->second.partial.Merge(PartialOf(*m, spans));
        for (size_t c = 0; c < nconds; ++c) {
          if (it->second.mask & (1ull << c)) continue;
          for (const auto& s : spans) {
            if (SpanMatches(q.span_conditions[c], s, m->resource(s.resource_index))) {
              it->second.mask |= 1ull << c;
              break;
            }
          }
        }
        return true;
      });
    }
    for (const auto& e : snap.segments) {
      auto& r = *e.reader;
      if (r.max_start_ns() < lo || r.min_start_ns() > hi) continue;
      if (expired()) return timeout();
      auto table = r.Traces();
      if (!table.ok()) return table.status();
      auto dict = r.Dictionary();
      if (!dict.ok()) return dict.status();
      const auto& tt = **table;
      std::unordered_map<uint32_t, Candidate*> hits;
      for (uint32_t o = 0; o < tt.ids.size(); ++o) {
        auto it = cands.find(tt.ids[o]);
        if (it == cands.end()) continue;
        it->second.partial.Merge(tt.Partial(o, **dict));
        hits.emplace(o, &it->second);
      }
      if (hits.empty() || nconds == 0) continue;
      std::vector<uint64_t> verify_mask(tt.ids.size(), 0);
      bool any_verify = false;
      for (size_t c = 0; c < nconds; ++c) {
        bool exact;
        auto cand = r.Candidates(q.span_conditions[c], &exact);
        if (!cand.ok()) return cand.status();
        for (auto& [o, cd] : hits) {
          if (cd->mask & (1ull << c)) continue;
          bool maybe = !cand->has_value() || std::binary_search((*cand)->begin(), (*cand)->end(), o);
          if (!maybe) continue;
          if (exact) {
            cd->mask |= 1ull << c;
          } else {
            verify_mask[o] |= 1ull << c;
            any_verify = true;
          }
        }
      }
      if (!any_verify) continue;
      for (auto& [o, cd] : hits) cd->pending |= verify_mask[o];
      pending.push_back(PendingVerify{e.reader, std::move(hits), std::move(verify_mask)});
    }
    // Decode spans only for traces that can still match: every condition
    // either already confirmed or awaiting confirmation somewhere.
    for (auto& pv : pending) {
      auto& r = *pv.reader;
      auto viable = [&](Candidate* cd) { return ((cd->mask | cd->pending) & all_mask) == all_mask; };
      Status st = r.ForEachTrace(
          [&](uint32_t o) { return pv.verify_mask[o] != 0 && viable(pv.hits[o]); },
          [&](uint32_t o, const std::vector<model::Span>& spans) {
            Candidate* cd = pv.hits[o];
            for (size_t c = 0; c < nconds; ++c) {
              if (!(pv.verify_mask[o] & (1ull << c)) || (cd->mask & (1ull << c))) continue;
              for (const auto& s : spans) {
                if (SpanMatches(q.span_conditions[c], s, r.resources()[s.resource_index])) {
                  cd->mask |= 1ull << c;
                  break;
                }
              }
            }
            return !expired();
          });
      if (!st.ok()) return st;
      if (expired()) return timeout();
    }
  }

  std::vector<TraceSummary> matches;
  for (auto& [id, cd] : cands) {
    if (cd.mask != all_mask || !in_range(cd.partial.start_ns)) continue;
    TraceSummary t;
    t.trace_id = id;
    t.start_time_unix_nano = cd.partial.start_ns;
    t.end_time_unix_nano = cd.partial.end_ns;
    t.span_count = cd.partial.span_count;
    t.error_count = cd.partial.error_count;
    uint64_t d = t.DurationNanos();
    if (q.min_trace_duration_ns && d < q.min_trace_duration_ns) continue;
    if (q.max_trace_duration_ns && d > q.max_trace_duration_ns) continue;
    if (has_cursor && !ok.Before(cursor_key, cursor_id, ok.Key(t), id)) continue;
    t.root_service = std::move(cd.partial.root_service);
    t.root_operation = std::move(cd.partial.root_operation);
    matches.push_back(std::move(t));
  }
  auto cmp = [&](const TraceSummary& a, const TraceSummary& b) {
    return ok.Before(ok.Key(a), a.trace_id, ok.Key(b), b.trace_id);
  };
  FindResult result;
  size_t limit = q.limit == 0 ? matches.size() : q.limit;
  if (matches.size() > limit) {
    std::partial_sort(matches.begin(), matches.begin() + limit, matches.end(), cmp);
    matches.resize(limit);
    const auto& last = matches.back();
    result.next_cursor = std::to_string(ok.Key(last)) + ":" + last.trace_id.ToHex();
  } else {
    std::sort(matches.begin(), matches.end(), cmp);
  }
  result.traces = std::move(matches);
  return result;
}

Result<std::vector<std::string>> EmbeddedStore::GetServices() {
  Snapshot snap = TakeSnapshot();
  std::set<std::string, std::less<>> services;
  for (const auto& e : snap.segments) {
    for (const auto& op : e.reader->operations()) services.insert(op.service);
  }
  // Memtables keep their catalog as spans arrive: nothing to decode.
  for (const auto& m : snap.memtables) {
    for (auto& svc : m->Services()) services.insert(std::move(svc));
  }
  return std::vector<std::string>(services.begin(), services.end());
}

Result<std::vector<Operation>> EmbeddedStore::GetOperations(const std::string& service,
                                                            std::optional<model::SpanKind> kind) {
  Snapshot snap = TakeSnapshot();
  std::set<std::pair<std::string, uint8_t>> ops;
  for (const auto& e : snap.segments) {
    for (const auto& op : e.reader->operations()) {
      if (op.service == service && (!kind || op.kind == *kind)) ops.emplace(op.name, static_cast<uint8_t>(op.kind));
    }
  }
  for (const auto& m : snap.memtables) {
    for (auto& op : m->Operations(service, kind)) ops.emplace(std::move(op.name), static_cast<uint8_t>(op.kind));
  }
  std::vector<Operation> out;
  for (const auto& [name, k] : ops) out.push_back(Operation{name, static_cast<model::SpanKind>(k)});
  return out;
}

Result<std::vector<DependencyLink>> EmbeddedStore::GetDependencies(uint64_t start_ns, uint64_t end_ns) {
  Snapshot snap = TakeSnapshot();
  std::map<std::pair<std::string, std::string>, std::pair<uint64_t, uint64_t>> edges;
  std::unordered_map<uint64_t, std::string_view> service_of;
  // Counts the cross-service parent→child calls among `spans` whose child
  // starts in [start_ns, end_ns]; `service` names a span's service.
  auto count_edges = [&](const std::vector<model::Span>& spans, auto&& service) {
    service_of.clear();
    for (const auto& s : spans) service_of[s.span_id.value] = service(s);
    for (const auto& s : spans) {
      if (s.start_time_unix_nano < start_ns || s.start_time_unix_nano > end_ns || s.parent_span_id.IsZero()) continue;
      auto it = service_of.find(s.parent_span_id.value);
      std::string_view child = service(s);
      if (it == service_of.end() || it->second == child) continue;
      auto& v = edges[{std::string(it->second), std::string(child)}];
      v.first++;
      if (s.status_code == model::StatusCode::kError) v.second++;
    }
  };
  for (const auto& e : snap.segments) {
    auto& r = *e.reader;
    if (r.max_end_ns() < start_ns || r.min_start_ns() > end_ns) continue;
    if (r.min_start_ns() >= start_ns && r.max_end_ns() <= end_ns) {
      // Wholly inside the range: the edges aggregated at build time are exact.
      for (const auto& l : r.dependencies()) {
        auto& v = edges[{l.parent, l.child}];
        v.first += l.call_count;
        v.second += l.error_count;
      }
      continue;
    }
    // Straddles a range boundary: count only the calls that start inside it.
    auto table = r.Traces();
    if (!table.ok()) return table.status();
    const auto& tt = **table;
    TRACERY_RETURN_IF_ERROR(r.ForEachTrace(
        [&](uint32_t o) { return tt.end_ns[o] >= start_ns && tt.start_ns[o] <= end_ns; },
        [&](uint32_t, const std::vector<model::Span>& spans) {
          count_edges(spans, [&](const model::Span& s) { return r.resources()[s.resource_index].ServiceName(); });
          return true;
        }));
  }
  // A frozen memtable answers from its cache once it has been asked for a
  // range covering it; the active one decodes, giving its lock up as it goes.
  for (const auto& m : snap.memtables) {
    for (const auto& l : m->Dependencies(start_ns, end_ns)) {
      auto& v = edges[{l.parent, l.child}];
      v.first += l.call_count;
      v.second += l.error_count;
    }
  }
  std::vector<DependencyLink> out;
  for (const auto& [k, v] : edges) out.push_back(DependencyLink{k.first, k.second, v.first, v.second});
  return out;
}

Status EmbeddedStore::ScanSpans(uint64_t start_ns, uint64_t end_ns,
                                const std::function<bool(const model::SpanBatch&)>& fn) {
  Snapshot snap = TakeSnapshot();
  model::SpanBatch batch;
  bool stop = false;
  // Memtables: copy a piece of traces out under the memtable's lock, hand
  // them to fn outside it, and go on from where the piece ended; fn may be
  // slow, and copying a whole memtable out first would double its memory.
  constexpr size_t kGroupsPerPiece = 256;
  for (const auto& m : snap.memtables) {
    std::vector<model::SpanBatch> groups;
    std::vector<model::Span> spans;
    const size_t end = m->TraceCount();  // traces that arrive during the scan are left out
    for (size_t pos = 0; pos < end;) {
      groups.clear();
      pos = m->ForEachTraceIn(pos, end, [&](const model::TraceId&, const MemTrace& t) {
        model::SpanBatch b;
        DecodeSpans(t, &spans);
        for (const auto& s : spans) {
          if (s.start_time_unix_nano >= start_ns && s.start_time_unix_nano < end_ns) {
            AppendSpan(s, m->resource(s.resource_index), m->scope(s.scope_index), &b);
          }
        }
        if (!b.empty()) groups.push_back(std::move(b));
        return groups.size() < kGroupsPerPiece;
      });
      for (const auto& g : groups) {
        if (!fn(g)) return Status::Ok();
      }
    }
  }
  for (const auto& e : snap.segments) {
    auto& r = *e.reader;
    if (r.max_end_ns() < start_ns || r.min_start_ns() >= end_ns) continue;
    auto table = r.Traces();
    if (!table.ok()) return table.status();
    const auto& tt = **table;
    TRACERY_RETURN_IF_ERROR(r.ForEachTrace(
        [&](uint32_t o) { return tt.end_ns[o] >= start_ns && tt.start_ns[o] < end_ns; },
        [&](uint32_t, const std::vector<model::Span>& spans) {
          batch.resources.clear();
          batch.scopes.clear();
          batch.spans.clear();
          for (const auto& s : spans) {
            if (s.start_time_unix_nano >= start_ns && s.start_time_unix_nano < end_ns) {
              AppendSpan(s, r.resources()[s.resource_index], r.scopes()[s.scope_index], &batch);
            }
          }
          if (!batch.empty() && !fn(batch)) {
            stop = true;
            return false;
          }
          return true;
        }));
    if (stop) break;
  }
  return Status::Ok();
}

StoreStats EmbeddedStore::Stats() {
  Snapshot snap = TakeSnapshot();
  StoreStats s;
  s.spans_written = spans_written_.load();
  for (const auto& m : snap.memtables) s.memtable_spans += m->SpanCount();
  s.spans_stored = s.memtable_spans;
  for (const auto& e : snap.segments) {
    s.spans_stored += e.reader->span_count();
    s.bytes_on_disk += e.reader->file_bytes();
  }
  s.segments = snap.segments.size();
  auto wal_files = env_->GetChildren(wal_dir_);
  if (wal_files.ok()) {
    for (const auto& f : *wal_files) {
      auto size = env_->GetFileSize(wal_dir_ + "/" + f);
      if (size.ok()) s.bytes_on_disk += *size;
    }
  }
  return s;
}

}  // namespace tracery::storage
