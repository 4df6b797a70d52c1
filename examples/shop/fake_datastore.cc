#include "fake_datastore.h"

#include "simulation.h"
#include "tracery/trace.h"

namespace shop {

FakeDatastore::FakeDatastore(DatastoreOptions options)
    : options_(std::move(options)), tracer_(tracery::GetTracer("shop.datastore")) {}

uint64_t FakeDatastore::Query(std::string_view operation, std::string_view table, std::string_view statement,
                              double latency_factor) const {
  const bool sql = options_.system == DbSystem::kPostgresql;
  std::string name(operation);
  if (sql && !table.empty()) {
    name.push_back(' ');
    name.append(options_.db_name).push_back('.');
    name.append(table);
  }
  tracery::Span span = tracer_.StartSpan(name, tracery::SpanKind::kClient);
  if (span.IsRecording()) {
    span.SetAttributes({{"db.system", sql ? "postgresql" : "redis"},
                        {"db.name", options_.db_name},
                        {"db.operation", operation},
                        {"db.statement", statement},
                        {"server.address", options_.server_address},
                        {"server.port", static_cast<int64_t>(options_.server_port)}});
    if (sql && !table.empty()) span.SetAttribute("db.sql.table", table);
  }
  return SimulateWork(options_.median_latency_us * latency_factor);
}

}  // namespace shop
