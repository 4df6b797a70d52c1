#include "sampling/trace_id_map.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

#include "sampling/test_traces.h"

namespace tracery::sampling {
namespace {

TEST(TraceIdMap, SetFindOverwriteErase) {
  TraceIdMap m;
  EXPECT_EQ(m.Find(testing::Tid(1)), nullptr);
  m.Set(testing::Tid(1), 10);
  m.Set(testing::Tid(2), 20);
  m.Set(testing::Tid(1), 11);
  ASSERT_NE(m.Find(testing::Tid(1)), nullptr);
  EXPECT_EQ(*m.Find(testing::Tid(1)), 11u);
  EXPECT_EQ(*m.Find(testing::Tid(2)), 20u);
  EXPECT_EQ(m.size(), 2u);
  EXPECT_TRUE(m.Erase(testing::Tid(1)));
  EXPECT_FALSE(m.Erase(testing::Tid(1)));
  EXPECT_EQ(m.Find(testing::Tid(1)), nullptr);
  EXPECT_EQ(*m.Find(testing::Tid(2)), 20u);
  EXPECT_EQ(m.size(), 1u);
}

// Erasing by backward shift must keep every other entry reachable, through
// growth and shrinking, with sequential ids (which a weak hash would pile
// into one probe run) and random ones.
TEST(TraceIdMap, AgreesWithUnorderedMapUnderChurn) {
  TraceIdMap m;
  std::unordered_map<model::TraceId, uint64_t, model::TraceIdHash> ref;
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200'000; ++round) {
    const uint64_t n = rng() % 5000;
    const model::TraceId id = (n & 1) ? testing::Tid(n) : model::TraceId::FromHighLow(n * 0x9E37, rng() % 4);
    if (rng() % 3 == 0) {
      EXPECT_EQ(m.Erase(id), ref.erase(id) == 1);
    } else {
      m.Set(id, static_cast<uint64_t>(round));
      ref[id] = static_cast<uint64_t>(round);
    }
    if (round % 50'000 == 0 || round == 199'999) {
      ASSERT_EQ(m.size(), ref.size());
      for (const auto& [k, v] : ref) {
        const uint64_t* got = m.Find(k);
        ASSERT_NE(got, nullptr);
        EXPECT_EQ(*got, v);
      }
    }
  }
  // Drain: the table shrinks and stays consistent.
  for (const auto& [k, v] : ref) EXPECT_TRUE(m.Erase(k));
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.Find(testing::Tid(1)), nullptr);
}

}  // namespace
}  // namespace tracery::sampling
