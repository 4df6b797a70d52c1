// WalWriter: appends checksummed records to one write-ahead-log file.
// Framing (docs/formats/wal.md): fixed32 masked crc32c over (type, payload),
// fixed32 payload length, one type byte, the payload.
//
// Group commit is the caller's job (EmbeddedStore batches concurrent
// writers): frame many records into one buffer with FrameRecord, then
// AppendFramed + Sync once.
//
// Thread-safety: not thread-safe; one writer at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/env.h"

namespace tracery::storage {

inline constexpr size_t kWalHeaderBytes = 9;
inline constexpr uint8_t kWalRecordSpanBatch = 1;
// A record larger than this is rejected by the writer and treated as
// corruption by the reader.
inline constexpr uint32_t kWalMaxRecordBytes = 256u << 20;

class WalWriter {
 public:
  explicit WalWriter(std::unique_ptr<WritableFile> file) : file_(std::move(file)) {}

  // Appends header + payload of one record to *dst.
  static void FrameRecord(uint8_t type, std::string_view payload, std::string* dst);
  // Reserves the header in *dst; append the payload after it, then call
  // FinishRecord with the offset returned. Avoids copying the payload.
  static size_t BeginRecord(std::string* dst);
  static void FinishRecord(uint8_t type, size_t begin_offset, std::string* dst);

  // Appends already framed records. On failure the file is cut back to its
  // previous size so no partial record of this call survives (if even that
  // fails, the file is marked broken: broken() turns true).
  Status AppendFramed(std::string_view framed);
  Status Sync();
  Status Close();
  uint64_t size_bytes() const { return file_->Size(); }
  bool broken() const { return broken_; }

 private:
  std::unique_ptr<WritableFile> file_;
  bool broken_ = false;
};

}  // namespace tracery::storage
