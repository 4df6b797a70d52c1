// Helpers shared by the storage tests: a span batch exercising every field
// of the model, and a fresh temporary directory per test.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "model/span.h"

namespace tracery::storage::test {

inline model::SpanBatch FullFeaturedBatch() {
  using model::AnyValue;
  model::SpanBatch b;
  model::Resource r;
  r.attributes = {{"service.name", AnyValue::String("checkout")}, {"k8s.pod.name", AnyValue::String("checkout-7d9f")},
                  {"host.cores", AnyValue::Int(8)}};
  r.dropped_attributes_count = 2;
  r.schema_url = "https://opentelemetry.io/schemas/1.21.0";
  b.resources.push_back(r);
  model::Resource r2;
  r2.attributes = {{"service.name", AnyValue::String("payment")}};
  b.resources.push_back(r2);
  model::Scope sc{"io.opentelemetry.grpc", "1.2.3", {{"scope.attr", AnyValue::Bool(true)}}, 1, "https://schema/scope"};
  b.scopes.push_back(sc);
  b.scopes.push_back(model::Scope{"manual", "", {}, 0, ""});

  AnyValue nested;
  nested.type = AnyValue::Type::kArray;
  nested.array = {AnyValue::Int(-5), AnyValue::String("x"), AnyValue::Double(2.5), AnyValue::Bytes(std::string("\0\1\2", 3))};
  AnyValue map;
  map.type = AnyValue::Type::kMap;
  map.map = {{"inner", nested}, {"flag", AnyValue::Bool(false)}, {"empty", AnyValue{}}};

  model::Span root;
  root.trace_id = model::TraceId::FromHighLow(0x0102030405060708ull, 0x090a0b0c0d0e0f10ull);
  root.span_id.value = 0x1111;
  root.trace_state = "vendor=abc";
  root.flags = 0x301;
  root.name = "POST /checkout";
  root.kind = model::SpanKind::kServer;
  root.start_time_unix_nano = 1'700'000'000'000'000'000ull;
  root.end_time_unix_nano = root.start_time_unix_nano + 5'000'000;
  root.attributes = {{"http.method", AnyValue::String("POST")},  {"http.status_code", AnyValue::Int(500)},
                     {"ratio", AnyValue::Double(0.25)},          {"ok", AnyValue::Bool(true)},
                     {"raw", AnyValue::Bytes("\xff\x00zz")},      {"list", nested},
                     {"obj", map},                                {"nothing", AnyValue{}},
                     {"long", AnyValue::String(std::string(300, 'L'))}};
  root.dropped_attributes_count = 3;
  model::Event ev{root.start_time_unix_nano + 100, "exception", {{"exception.type", AnyValue::String("IOError")}}, 1};
  root.events = {ev, model::Event{root.start_time_unix_nano + 200, "retry", {}, 0}};
  root.dropped_events_count = 4;
  model::Link link;
  link.trace_id = model::TraceId::FromHighLow(7, 8);
  link.span_id.value = 99;
  link.trace_state = "k=v";
  link.attributes = {{"link.kind", AnyValue::String("follows")}};
  link.dropped_attributes_count = 5;
  link.flags = 1;
  root.links = {link};
  root.dropped_links_count = 6;
  root.status_code = model::StatusCode::kError;
  root.status_message = "payment declined";
  root.resource_index = 0;
  root.scope_index = 0;
  b.spans.push_back(root);

  model::Span child;
  child.trace_id = root.trace_id;
  child.span_id.value = 0x2222;
  child.parent_span_id = root.span_id;
  child.name = "Charge";
  child.kind = model::SpanKind::kClient;
  child.start_time_unix_nano = root.start_time_unix_nano + 1000;
  child.end_time_unix_nano = child.start_time_unix_nano + 2'000'000;
  child.attributes = {{"rpc.method", AnyValue::String("Charge")}};
  child.resource_index = 1;
  child.scope_index = 1;
  b.spans.push_back(child);

  model::Span external = child;  // parent outside the stored spans
  external.span_id.value = 0x3333;
  external.parent_span_id.value = 0xdeadbeef;
  external.name = "late";
  external.start_time_unix_nano = root.start_time_unix_nano - 50;  // starts before the root
  external.end_time_unix_nano = external.start_time_unix_nano;
  b.spans.push_back(external);
  return b;
}

// A unique empty directory under /tmp, removed at destruction.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("tracery_storage_" + std::string(info ? info->name() : "x") + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace tracery::storage::test
