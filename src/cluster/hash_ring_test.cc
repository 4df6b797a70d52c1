#include "cluster/hash_ring.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace tracery::cluster {
namespace {

std::vector<model::TraceId> RandomIds(size_t n) {
  std::mt19937_64 rng(42);
  std::vector<model::TraceId> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back(model::TraceId::FromHighLow(rng(), rng()));
  return ids;
}

TEST(HashRingTest, EmptyRingHasNoOwner) {
  HashRing ring({});
  EXPECT_EQ(ring.Owner(model::TraceId::FromHighLow(1, 2)), nullptr);
}

TEST(HashRingTest, SameMembersInAnyOrderGiveSameOwners) {
  HashRing a({"10.0.0.1:4320", "10.0.0.2:4320", "10.0.0.3:4320"});
  HashRing b({"10.0.0.3:4320", "10.0.0.1:4320", "10.0.0.2:4320", "10.0.0.1:4320"});
  for (const auto& id : RandomIds(2000)) EXPECT_EQ(*a.Owner(id), *b.Owner(id));
}

TEST(HashRingTest, LoadIsSpreadEvenlyWithVirtualNodes) {
  HashRing ring({"a:1", "b:1", "c:1"});
  std::map<std::string, int> count;
  const int n = 30000;
  for (const auto& id : RandomIds(n)) ++count[*ring.Owner(id)];
  ASSERT_EQ(count.size(), 3u);
  for (const auto& [m, c] : count) {
    EXPECT_GT(c, n / 3 * 0.8) << m;
    EXPECT_LT(c, n / 3 * 1.2) << m;
  }
}

TEST(HashRingTest, MemberLeavingMovesOnlyItsTraces) {
  HashRing before({"a:1", "b:1", "c:1"});
  HashRing after({"a:1", "c:1"});
  for (const auto& id : RandomIds(5000)) {
    const std::string& old_owner = *before.Owner(id);
    if (old_owner != "b:1") {
      EXPECT_EQ(*after.Owner(id), old_owner);
    }
  }
}

TEST(HashRingTest, OwnerWhereSkipsUnusableMembersLikeARingWithoutThem) {
  HashRing full({"a:1", "b:1", "c:1"});
  HashRing without_b({"a:1", "c:1"});
  for (const auto& id : RandomIds(5000)) {
    const std::string* owner = full.OwnerWhere(id, [](const std::string& m) { return m != "b:1"; });
    ASSERT_NE(owner, nullptr);
    EXPECT_EQ(*owner, *without_b.Owner(id));
  }
  EXPECT_EQ(full.OwnerWhere(model::TraceId::FromHighLow(1, 1), [](const std::string&) { return false; }), nullptr);
}

}  // namespace
}  // namespace tracery::cluster
