#include "storage/wal_writer.h"

#include "storage/byte_coding.h"
#include "storage/crc32c.h"

namespace tracery::storage {

size_t WalWriter::BeginRecord(std::string* dst) {
  size_t off = dst->size();
  dst->append(kWalHeaderBytes, '\0');
  return off;
}

void WalWriter::FinishRecord(uint8_t type, size_t begin_offset, std::string* dst) {
  char* h = dst->data() + begin_offset;
  size_t len = dst->size() - begin_offset - kWalHeaderBytes;
  h[8] = static_cast<char>(type);
  uint32_t crc = crc32c::Extend(0, h + 8, 1 + len);
  uint32_t masked = crc32c::Mask(crc);
  uint32_t len32 = static_cast<uint32_t>(len);
  std::memcpy(h, &masked, 4);
  std::memcpy(h + 4, &len32, 4);
}

void WalWriter::FrameRecord(uint8_t type, std::string_view payload, std::string* dst) {
  size_t off = BeginRecord(dst);
  dst->append(payload);
  FinishRecord(type, off, dst);
}

Status WalWriter::AppendFramed(std::string_view framed) {
  if (broken_) return Status::IOError("write-ahead log file is broken after an earlier failure");
  uint64_t before = file_->Size();
  Status st = file_->Append(framed);
  if (!st.ok()) {
    if (!file_->Truncate(before).ok()) broken_ = true;
  }
  return st;
}

Status WalWriter::Sync() {
  Status st = file_->Sync();
  // After a failed fsync the page cache state is unknown; never reuse the file.
  if (!st.ok()) broken_ = true;
  return st;
}

Status WalWriter::Close() { return file_->Close(); }

}  // namespace tracery::storage
