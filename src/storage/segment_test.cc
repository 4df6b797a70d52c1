#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "storage/segment_reader.h"
#include "storage/segment_writer.h"
#include "storage/storage_test_util.h"
#include "storage/testing/span_generator.h"

namespace tracery::storage {
namespace {

std::shared_ptr<SegmentReader> WriteAndOpen(const std::string& dir, const Memtable& mem,
                                            SegmentWriteOptions opt = {}) {
  auto info = WriteSegment(Env::Default(), dir, "1.seg", mem, mem.SortedTraces(), opt);
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  auto r = SegmentReader::Open(Env::Default(), dir + "/1.seg", 1);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : nullptr;
}

TEST(Segment, RoundTripPreservesEveryField) {
  test::TempDir dir;
  model::SpanBatch in = test::FullFeaturedBatch();
  Memtable mem(1000, 0);
  mem.Add(in);
  auto r = WriteAndOpen(dir.path(), mem);
  ASSERT_TRUE(r);
  model::SpanBatch out;
  bool found = false;
  ASSERT_TRUE(r->GetTrace(in.spans[0].trace_id, &out, &found).ok());
  ASSERT_TRUE(found);
  ASSERT_EQ(out.spans.size(), in.spans.size());
  for (const auto& want : in.spans) {
    auto it = std::find_if(out.spans.begin(), out.spans.end(),
                           [&](const model::Span& s) { return s.span_id == want.span_id; });
    ASSERT_NE(it, out.spans.end());
    model::Span got = *it;
    EXPECT_EQ(out.ResourceOf(got), in.ResourceOf(want));
    EXPECT_EQ(out.ScopeOf(got), in.ScopeOf(want));
    got.resource_index = want.resource_index;
    got.scope_index = want.scope_index;
    EXPECT_EQ(got, want) << want.name;
  }
  EXPECT_EQ(r->span_count(), 3u);
  EXPECT_EQ(r->trace_count(), 1u);
}

TEST(Segment, TraceTableSummarisesEachTrace) {
  test::TempDir dir;
  model::SpanBatch in = test::FullFeaturedBatch();
  Memtable mem(1000, 0);
  mem.Add(in);
  auto r = WriteAndOpen(dir.path(), mem);
  auto t = r->Traces();
  ASSERT_TRUE(t.ok());
  auto dict = r->Dictionary();
  ASSERT_TRUE(dict.ok());
  TracePartial p = (*t)->Partial(0, **dict);
  EXPECT_EQ(p.start_ns, in.spans[2].start_time_unix_nano);  // the early external span
  EXPECT_EQ(p.end_ns, in.spans[0].end_time_unix_nano);
  EXPECT_EQ(p.span_count, 3u);
  EXPECT_EQ(p.error_count, 1u);
  EXPECT_TRUE(p.has_root);
  EXPECT_EQ(p.root_service, "checkout");
  EXPECT_EQ(p.root_operation, "POST /checkout");
  ASSERT_EQ(r->dependencies().size(), 1u);
  EXPECT_EQ(r->dependencies()[0].parent, "checkout");
  EXPECT_EQ(r->dependencies()[0].child, "payment");
}

TEST(Segment, ManyTracesAcrossRowGroupsAndBloomLookup) {
  test::TempDir dir;
  testing::SpanGenerator gen;
  model::SpanBatch batch = gen.NextBatch(20000);
  Memtable mem(100000, 0);
  mem.Add(batch);
  SegmentWriteOptions opt;
  opt.row_group_spans = 512;
  auto r = WriteAndOpen(dir.path(), mem, opt);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->span_count(), batch.spans.size());
  // Every trace is found, with all its spans.
  std::map<model::TraceId, size_t> counts;
  for (const auto& s : batch.spans) counts[s.trace_id]++;
  int checked = 0;
  for (const auto& [id, n] : counts) {
    if (++checked % 37 != 0) continue;
    model::SpanBatch out;
    bool found = false;
    ASSERT_TRUE(r->GetTrace(id, &out, &found).ok());
    ASSERT_TRUE(found);
    EXPECT_EQ(out.spans.size(), n);
    for (const auto& s : out.spans) EXPECT_EQ(s.trace_id, id);
  }
  model::SpanBatch none;
  bool found = true;
  ASSERT_TRUE(r->GetTrace(model::TraceId::FromHighLow(1, 1), &none, &found).ok());
  EXPECT_FALSE(found);
  int maybe = 0;
  for (uint64_t i = 0; i < 1000; ++i) maybe += r->MayContain(model::TraceId::FromHighLow(i, ~i));
  EXPECT_LT(maybe, 50);
}

TEST(Segment, TimesAndNamesDecodeMatchesTheFullDecode) {
  test::TempDir dir;
  testing::SpanGenerator gen;
  model::SpanBatch batch = gen.NextBatch(5000);
  Memtable mem(100000, 0);
  mem.Add(batch);
  SegmentWriteOptions opt;
  opt.row_group_spans = 256;
  auto r = WriteAndOpen(dir.path(), mem, opt);
  ASSERT_TRUE(r);
  // Every third trace, across row groups; the light decode must agree with
  // the full one on every field it promises and leave the rest empty.
  auto want = [](uint32_t o) { return o % 3 == 1; };
  std::map<uint32_t, std::vector<model::Span>> full, light;
  ASSERT_TRUE(r->ForEachTrace(want, [&](uint32_t o, const std::vector<model::Span>& s) {
                 full[o] = s;
                 return true;
               }).ok());
  ASSERT_TRUE(r->ForEachTraceTimesAndNames(want, [&](uint32_t o, const std::vector<model::Span>& s) {
                 light[o] = s;
                 return true;
               }).ok());
  ASSERT_GT(full.size(), 20u);
  ASSERT_EQ(light.size(), full.size());
  bool saw_attributes = false;
  for (const auto& [o, spans] : full) {
    ASSERT_EQ(light[o].size(), spans.size());
    for (size_t i = 0; i < spans.size(); ++i) {
      const model::Span& f = spans[i];
      const model::Span& l = light[o][i];
      EXPECT_EQ(l.trace_id, f.trace_id);
      EXPECT_EQ(l.start_time_unix_nano, f.start_time_unix_nano);
      EXPECT_EQ(l.end_time_unix_nano, f.end_time_unix_nano);
      EXPECT_EQ(l.name, f.name);
      EXPECT_EQ(l.kind, f.kind);
      EXPECT_EQ(l.status_code, f.status_code);
      EXPECT_EQ(l.resource_index, f.resource_index);
      EXPECT_TRUE(l.attributes.empty());
      EXPECT_EQ(l.span_id.value, 0u);
      saw_attributes = saw_attributes || !f.attributes.empty();
    }
  }
  EXPECT_TRUE(saw_attributes);
}

TEST(Segment, PostingsNarrowCandidates) {
  test::TempDir dir;
  testing::SpanGenerator gen;
  model::SpanBatch batch = gen.NextBatch(5000);
  Memtable mem(100000, 0);
  mem.Add(batch);
  auto r = WriteAndOpen(dir.path(), mem);
  SpanCondition c;
  c.service = "payment";
  bool exact = false;
  auto cand = r->Candidates(c, &exact);
  ASSERT_TRUE(cand.ok());
  ASSERT_TRUE(cand->has_value());
  EXPECT_TRUE(exact);
  auto t = *r->Traces();
  std::set<model::TraceId> want;
  for (const auto& s : batch.spans) {
    if (batch.ServiceOf(s) == "payment") want.insert(s.trace_id);
  }
  std::set<model::TraceId> got;
  for (uint32_t o : **cand) got.insert(t->ids[o]);
  EXPECT_EQ(got, want);
  SpanCondition missing;
  missing.tags = {{"http.route", "/no/such/route"}};
  auto none = r->Candidates(missing, &exact);
  ASSERT_TRUE(none.ok());
  ASSERT_TRUE(none->has_value());
  EXPECT_TRUE((*none)->empty());
}

TEST(Segment, CorruptionIsDetected) {
  test::TempDir dir;
  Memtable mem(1000, 0);
  mem.Add(test::FullFeaturedBatch());
  ASSERT_TRUE(WriteAndOpen(dir.path(), mem));
  std::string path = dir.path() + "/1.seg";
  std::string data = *Env::Default()->ReadFileToString(path);
  // Flip one byte inside the first row group (right after the header).
  data[12] ^= 0x5a;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
  auto r = SegmentReader::Open(Env::Default(), path, 1);
  ASSERT_TRUE(r.ok());  // footer and meta are intact
  model::SpanBatch out;
  bool found;
  Status st = (*r)->GetTrace(test::FullFeaturedBatch().spans[0].trace_id, &out, &found);
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
  // A truncated file is rejected at open.
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data.substr(0, data.size() - 3);
  EXPECT_EQ(SegmentReader::Open(Env::Default(), path, 1).status().code(), Status::Code::kCorruption);
}

// Regression (found by fuzz/segment_reader_fuzz): the footer's meta-block raw
// size is not covered by the meta CRC; a corrupt value made Open allocate
// gigabytes (out of memory) instead of setting the segment aside as corrupt.
TEST(Segment, CorruptMetaRawSizeInFooterIsCorruptionNotAHugeAllocation) {
  test::TempDir dir;
  Memtable mem(1000, 0);
  mem.Add(test::FullFeaturedBatch());
  ASSERT_TRUE(WriteAndOpen(dir.path(), mem));
  std::string path = dir.path() + "/1.seg";
  std::string data = *Env::Default()->ReadFileToString(path);
  // Footer (last 32 bytes): offset 12 is the meta block's raw size (u32 LE).
  const size_t raw_size_at = data.size() - 32 + 12;
  data[raw_size_at + 3] = static_cast<char>(0xd0);  // ~3.5 GB
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
  auto r = SegmentReader::Open(Env::Default(), path, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption);
  EXPECT_NE(r.status().message().find("raw size"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace tracery::storage
