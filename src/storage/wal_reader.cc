#include "storage/wal_reader.h"

#include "storage/byte_coding.h"
#include "storage/crc32c.h"
#include "storage/wal_writer.h"

namespace tracery::storage {

Result<WalReadResult> ReadWalFile(Env* env, const std::string& path,
                                  const std::function<Status(uint8_t, std::string_view)>& fn) {
  auto data = env->ReadFileToString(path);
  if (!data.ok()) return data.status();
  const std::string& d = *data;
  WalReadResult r;
  size_t pos = 0;
  while (pos < d.size()) {
    if (d.size() - pos < kWalHeaderBytes) {
      r.bad_tail_reason = "torn record header";
      break;
    }
    uint32_t masked = DecodeFixed32(d.data() + pos);
    uint32_t len = DecodeFixed32(d.data() + pos + 4);
    if (len > kWalMaxRecordBytes) {
      r.bad_tail_reason = "record length " + std::to_string(len) + " over the limit";
      break;
    }
    if (d.size() - pos - kWalHeaderBytes < len) {
      r.bad_tail_reason = "torn record: file ends inside the payload";
      break;
    }
    uint32_t crc = crc32c::Extend(0, d.data() + pos + 8, 1 + static_cast<size_t>(len));
    if (crc32c::Unmask(masked) != crc) {
      r.bad_tail_reason = "record checksum mismatch";
      break;
    }
    uint8_t type = static_cast<uint8_t>(d[pos + 8]);
    TRACERY_RETURN_IF_ERROR(fn(type, std::string_view(d.data() + pos + kWalHeaderBytes, len)));
    pos += kWalHeaderBytes + len;
    r.records++;
  }
  r.valid_bytes = pos;
  r.bad_tail_bytes = d.size() - pos;
  return r;
}

}  // namespace tracery::storage
