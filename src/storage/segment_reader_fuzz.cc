// libFuzzer entry point for SegmentReader on a corrupt segment file: Open and
// every read path (trace table, dictionary, postings, row groups, GetTrace)
// must answer data or an error Status, never crash, hang or trip a
// sanitizer. Bytes come through the Env seam (fuzz/memory_file_env.h).
// Built by fuzz/build.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/memory_file_env.h"
#include "storage/segment_reader.h"

using tracery::storage::SegmentReader;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tracery::fuzz::MemoryFileEnv env(std::string_view(reinterpret_cast<const char*>(data), size));
  auto opened = SegmentReader::Open(&env, "fuzz.seg", 1);
  if (!opened.ok()) return 0;
  SegmentReader& reader = **opened;
  (void)reader.Dictionary();
  auto traces = reader.Traces();
  if (traces.ok()) {
    size_t n = 0;
    for (const auto& id : (*traces)->ids) {
      if (++n > 4) break;
      tracery::model::SpanBatch batch;
      bool found = false;
      (void)reader.MayContain(id);
      (void)reader.GetTrace(id, &batch, &found);
    }
  }
  tracery::storage::SpanCondition cond;
  cond.service = "frontend";
  cond.tags.push_back({"http.status_code", "500"});
  bool exact = false;
  (void)reader.Candidates(cond, &exact);
  size_t visited = 0;
  (void)reader.ForEachTrace({}, [&](uint32_t, const std::vector<tracery::model::Span>&) { return ++visited < 64; });
  return 0;
}
