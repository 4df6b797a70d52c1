// Runs the SpanStore conformance suite against the embedded store
// (storage::EmbeddedStore), each test in a fresh data directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>

#include "storage/embedded_store.h"
#include "storage/testing/span_store_conformance.h"

namespace tracery::storage::testing {
namespace {

// Every store's data directory lies under this one, removed at exit.
std::filesystem::path BaseDir() {
  static const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                           ("tracery_embedded_conformance_" + std::to_string(::getpid()));
  return dir;
}

class RemoveBaseDir : public ::testing::Environment {
 public:
  void TearDown() override { std::filesystem::remove_all(BaseDir()); }
};
const auto* const kRemoveBaseDir = ::testing::AddGlobalTestEnvironment(new RemoveBaseDir);

std::unique_ptr<SpanStore> MakeEmbeddedStore(std::string* error) {
  static std::atomic<int> counter{0};
  EmbeddedStoreOptions o;
  o.data_dir = (BaseDir() / ("store_" + std::to_string(counter++))).string();
  o.background_thread = false;  // Flush() makes data searchable; no timing in tests
  auto store = EmbeddedStore::Open(o);
  if (!store.ok()) {
    *error = store.status().ToString();
    return nullptr;
  }
  return std::move(store).value();
}

// Gaps of the engine: none at present (GetDependencies used to count calls
// outside the range from segments straddling it; fixed, and this suite is the regression test).
const std::map<std::string, std::string> kEmbeddedStoreGaps = {};

INSTANTIATE_TEST_SUITE_P(Embedded, SpanStoreConformanceTest,
                         ::testing::Values(SpanStoreFactory{"Embedded", MakeEmbeddedStore, kEmbeddedStoreGaps}),
                         SpanStoreFactoryName);

}  // namespace
}  // namespace tracery::storage::testing
