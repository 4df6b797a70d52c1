// libFuzzer entry point for ReadWalFile + DecodeSpanBatch (what recovery
// runs over a WAL file): any bytes must yield records, a bad tail or an
// error Status, never a crash, hang or sanitizer report. The bytes are served
// through the Env seam (fuzz/memory_file_env.h). Built by fuzz/build.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz/memory_file_env.h"
#include "storage/span_codec.h"
#include "storage/wal_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  tracery::fuzz::MemoryFileEnv env(bytes);
  auto r = tracery::storage::ReadWalFile(&env, "fuzz.wal", [](uint8_t, std::string_view payload) {
    auto batch = tracery::storage::DecodeSpanBatch(payload);
    return batch.ok() ? tracery::Status::Ok() : batch.status();
  });
  if (r.ok() && r->valid_bytes + r->bad_tail_bytes != size) std::abort();
  // The span codec alone, on the raw input.
  (void)tracery::storage::DecodeSpanBatch(bytes);
  return 0;
}
