#include "id_generator.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace tracery::internal {
namespace {

// Threads seed from one process seed plus a per-thread counter (no
// random_device per thread): they must still get different ids.
TEST(IdGeneratorTest, ThreadsGetDistinctIdStreams) {
  constexpr int kThreads = 16;
  constexpr int kIdsPerThread = 1000;
  std::vector<std::vector<uint64_t>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ids, t] {
      for (int i = 0; i < kIdsPerThread; ++i) ids[t].push_back(NewSpanId().value);
    });
  }
  for (std::thread& th : threads) th.join();
  std::set<uint64_t> all;
  for (const auto& v : ids) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kIdsPerThread));
}

TEST(IdGeneratorTest, TraceIdLowHalfIsUniform) {
  // The ratio sampler relies on it: about half of the low halves are "negative".
  int negative = 0;
  constexpr int kN = 100000;
  for (int i = 0; i < kN; ++i) negative += static_cast<int64_t>(NewTraceId().low) < 0;
  EXPECT_NEAR(negative, kN / 2, 1000);  // ~6 sd
}

}  // namespace
}  // namespace tracery::internal
