// ns per span to decode realistic batches in each wire format.
// Run: build/bench/tracery_decode_bench --benchmark_min_time=0.2
// items_per_second is spans per second on one core.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "ingest/gzip.h"
#include "ingest/otlp_json.h"
#include "ingest/otlp_protobuf.h"
#include "ingest/sample_batches.h"
#include "ingest/zipkin_json.h"
#include "ingest/zipkin_proto.h"
#include "zipkin/zipkin.pb.h"

namespace tracery::ingest {
namespace {

constexpr size_t kSpans = 512;

// Test-input writers: just enough JSON for the benchmark payloads (string,
// int, bool and double values), not a general encoder.
void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendOtlpAttributes(std::string* out, const model::Attributes& attrs) {
  out->append("[");
  for (size_t i = 0; i < attrs.size(); ++i) {
    if (i) out->append(",");
    out->append("{\"key\":");
    AppendJsonString(out, attrs[i].key);
    out->append(",\"value\":{");
    const model::AnyValue& v = attrs[i].value;
    switch (v.type) {
      case model::AnyValue::Type::kInt: out->append("\"intValue\":\"" + std::to_string(v.int_value) + "\""); break;
      case model::AnyValue::Type::kBool: out->append(v.bool_value ? "\"boolValue\":true" : "\"boolValue\":false"); break;
      case model::AnyValue::Type::kDouble: out->append("\"doubleValue\":" + std::to_string(v.double_value)); break;
      default: out->append("\"stringValue\":"); AppendJsonString(out, v.str); break;
    }
    out->append("}}");
  }
  out->append("]");
}

std::string OtlpJsonBody(const model::SpanBatch& b) {
  std::string out = "{\"resourceSpans\":[{\"resource\":{\"attributes\":";
  AppendOtlpAttributes(&out, b.resources[0].attributes);
  out += "},\"scopeSpans\":[{\"scope\":{\"name\":";
  AppendJsonString(&out, b.scopes[0].name);
  out += "},\"spans\":[";
  for (size_t i = 0; i < b.spans.size(); ++i) {
    const model::Span& s = b.spans[i];
    if (i) out += ",";
    out += "{\"traceId\":\"" + s.trace_id.ToHex() + "\",\"spanId\":\"" + s.span_id.ToHex() + "\"";
    if (!s.parent_span_id.IsZero()) out += ",\"parentSpanId\":\"" + s.parent_span_id.ToHex() + "\"";
    out += ",\"name\":";
    AppendJsonString(&out, s.name);
    out += ",\"kind\":" + std::to_string(static_cast<int>(s.kind));
    out += ",\"startTimeUnixNano\":\"" + std::to_string(s.start_time_unix_nano) + "\"";
    out += ",\"endTimeUnixNano\":\"" + std::to_string(s.end_time_unix_nano) + "\",\"attributes\":";
    AppendOtlpAttributes(&out, s.attributes);
    out += ",\"events\":[";
    for (size_t e = 0; e < s.events.size(); ++e) {
      if (e) out += ",";
      out += "{\"timeUnixNano\":\"" + std::to_string(s.events[e].time_unix_nano) + "\",\"name\":";
      AppendJsonString(&out, s.events[e].name);
      out += ",\"attributes\":";
      AppendOtlpAttributes(&out, s.events[e].attributes);
      out += "}";
    }
    out += "],\"status\":{}}";
  }
  out += "]}]}]}";
  return out;
}

std::string ZipkinJsonBody(const model::SpanBatch& b) {
  std::string out = "[";
  static const char* kKinds[] = {"", "", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"};
  for (size_t i = 0; i < b.spans.size(); ++i) {
    const model::Span& s = b.spans[i];
    if (i) out += ",";
    out += "{\"traceId\":\"" + s.trace_id.ToHex() + "\",\"id\":\"" + s.span_id.ToHex() + "\"";
    if (!s.parent_span_id.IsZero()) out += ",\"parentId\":\"" + s.parent_span_id.ToHex() + "\"";
    if (kKinds[static_cast<int>(s.kind)][0]) out += ",\"kind\":\"" + std::string(kKinds[static_cast<int>(s.kind)]) + "\"";
    out += ",\"name\":";
    AppendJsonString(&out, s.name);
    out += ",\"timestamp\":" + std::to_string(s.start_time_unix_nano / 1000);
    out += ",\"duration\":" + std::to_string(s.DurationNanos() / 1000);
    out += ",\"localEndpoint\":{\"serviceName\":\"frontend\",\"ipv4\":\"10.0.12.34\",\"port\":8080}";
    out += ",\"tags\":{";
    for (size_t a = 0; a < s.attributes.size(); ++a) {
      if (a) out += ",";
      AppendJsonString(&out, s.attributes[a].key);
      out += ":";
      AppendJsonString(&out, s.attributes[a].value.ToString());
    }
    out += "}}";
  }
  out += "]";
  return out;
}

std::string ZipkinProtoBody(const model::SpanBatch& b) {
  zipkin::proto3::ListOfSpans list;
  for (const model::Span& s : b.spans) {
    auto* o = list.add_spans();
    o->set_trace_id(s.trace_id.bytes.data(), 16);
    uint8_t id[8];
    s.span_id.ToBytes(id);
    o->set_id(id, 8);
    if (!s.parent_span_id.IsZero()) {
      s.parent_span_id.ToBytes(id);
      o->set_parent_id(id, 8);
    }
    o->set_name(s.name);
    o->set_timestamp(s.start_time_unix_nano / 1000);
    o->set_duration(s.DurationNanos() / 1000);
    o->mutable_local_endpoint()->set_service_name("frontend");
    o->mutable_local_endpoint()->set_ipv4(std::string("\x0a\x00\x0c\x22", 4));
    for (const auto& kv : s.attributes) (*o->mutable_tags())[kv.key] = kv.value.ToString();
  }
  return list.SerializeAsString();
}

template <typename Decode>
void RunDecode(benchmark::State& state, const std::string& body, Decode decode) {
  IngestLimits limits;
  for (auto _ : state) {
    auto r = decode(body, limits);
    if (!r.ok() || r->batch.spans.size() != kSpans) {
      state.SkipWithError(r.ok() ? "wrong span count" : r.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(r->batch.spans.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kSpans));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["ns_per_span"] = benchmark::Counter(static_cast<double>(state.iterations() * kSpans),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["body_bytes"] = static_cast<double>(body.size());
}

void BM_DecodeOtlpProtobuf(benchmark::State& state) {
  RunDecode(state, EncodeOtlpProtobuf(testing::RealisticBatch(kSpans)), DecodeOtlpProtobuf);
}
void BM_DecodeOtlpProtobufGzip(benchmark::State& state) {
  std::string gz = GzipCompress(EncodeOtlpProtobuf(testing::RealisticBatch(kSpans)));
  RunDecode(state, gz, [](std::string_view body, const IngestLimits& l) -> Result<DecodeResult> {
    auto raw = Gunzip(body, l.max_decompressed_bytes);
    if (!raw.ok()) return raw.status();
    return DecodeOtlpProtobuf(*raw, l);
  });
}
void BM_DecodeOtlpJson(benchmark::State& state) {
  RunDecode(state, OtlpJsonBody(testing::RealisticBatch(kSpans)), DecodeOtlpJson);
}
void BM_DecodeZipkinJson(benchmark::State& state) {
  RunDecode(state, ZipkinJsonBody(testing::RealisticBatch(kSpans)), DecodeZipkinJson);
}
void BM_DecodeZipkinProto(benchmark::State& state) {
  RunDecode(state, ZipkinProtoBody(testing::RealisticBatch(kSpans)), DecodeZipkinProto);
}
void BM_EncodeOtlpProtobuf(benchmark::State& state) {
  model::SpanBatch batch = testing::RealisticBatch(kSpans);
  for (auto _ : state) benchmark::DoNotOptimize(EncodeOtlpProtobuf(batch));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kSpans));
  state.counters["ns_per_span"] = benchmark::Counter(static_cast<double>(state.iterations() * kSpans),
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

BENCHMARK(BM_DecodeOtlpProtobuf)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DecodeOtlpProtobufGzip)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DecodeOtlpJson)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DecodeZipkinJson)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DecodeZipkinProto)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_EncodeOtlpProtobuf)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tracery::ingest

BENCHMARK_MAIN();
