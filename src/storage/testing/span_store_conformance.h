// The SpanStore conformance suite: behaviour every storage backend must
// show, written once and run against each backend (embedded, ClickHouse).
//
// To run it against a backend, link the `tracery_span_store_conformance`
// object library into a GoogleTest binary and instantiate the suite with a
// factory:
//
//   INSTANTIATE_TEST_SUITE_P(MyStore, SpanStoreConformanceTest,
//       ::testing::Values(SpanStoreFactory{"MyStore", [] { return MakeEmptyStore(); }}),
//       SpanStoreFactoryName);
//
// The factory must return a new, empty store for every call (each test
// starts from nothing), or nullptr with a reason in `*error` when the store
// cannot be made (the test then fails with that reason).
//
// A backend that does not yet meet a case lists it in `known_gaps` (test
// name without the suite prefix, e.g. "FindTracesRejectsAMalformedCursor",
// mapped to what is missing); that case is skipped with the reason, so the
// gap is visible in every test run instead of hidden by a weaker assertion.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "storage/span_store.h"

namespace tracery::storage::testing {

struct SpanStoreFactory {
  std::string name;  // letters, digits and '_' only (a test-name suffix)
  std::function<std::unique_ptr<SpanStore>(std::string* error)> make;
  std::map<std::string, std::string> known_gaps;  // test name -> the gap
};

// GoogleTest prints the parameter by its name instead of its bytes.
inline void PrintTo(const SpanStoreFactory& factory, std::ostream* os) { *os << factory.name; }

std::string SpanStoreFactoryName(const ::testing::TestParamInfo<SpanStoreFactory>& info);

class SpanStoreConformanceTest : public ::testing::TestWithParam<SpanStoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Writes and flushes; fails the test on an error.
  void WriteAndFlush(const model::SpanBatch& batch);

  std::unique_ptr<SpanStore> store_;
  // All test data lies within the hour before this instant (recent enough
  // for any retention policy).
  uint64_t base_ns_ = 0;
};

}  // namespace tracery::storage::testing
