#include "cluster/membership.h"

#include <gtest/gtest.h>

#include <set>

namespace tracery::cluster {
namespace {

struct FakeCluster {
  std::mutex mu;
  std::set<std::string> down;
  HealthProbe Probe() {
    return [this](const std::string& m) {
      std::lock_guard<std::mutex> lock(mu);
      return down.count(m) == 0;
    };
  }
  void SetDown(const std::string& m, bool is_down) {
    std::lock_guard<std::mutex> lock(mu);
    if (is_down) down.insert(m); else down.erase(m);
  }
};

MembershipOptions Options() {
  MembershipOptions o;
  o.self = "127.0.0.1:1";
  o.static_members = {"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"};
  o.failures_to_leave = 3;
  o.successes_to_join = 2;
  return o;
}

TEST(MembershipTest, FirstRoundAdmitsEveryAnsweringMember) {
  FakeCluster fake;
  fake.SetDown("127.0.0.1:3", true);
  Membership m(Options(), fake.Probe());
  m.CheckOnce();
  EXPECT_EQ(m.ring()->members(), (std::vector<std::string>{"127.0.0.1:1", "127.0.0.1:2"}));
}

TEST(MembershipTest, MemberLeavesAfterNFailuresAndRejoinsAfterMSuccesses) {
  FakeCluster fake;
  Membership m(Options(), fake.Probe());
  m.CheckOnce();
  ASSERT_EQ(m.ring()->members().size(), 3u);
  fake.SetDown("127.0.0.1:2", true);
  m.CheckOnce();
  m.CheckOnce();
  EXPECT_TRUE(m.ring()->Contains("127.0.0.1:2")) << "two failures are not enough";
  m.CheckOnce();
  EXPECT_FALSE(m.ring()->Contains("127.0.0.1:2"));
  EXPECT_FALSE(m.IsLive("127.0.0.1:2"));
  fake.SetDown("127.0.0.1:2", false);
  m.CheckOnce();
  EXPECT_FALSE(m.ring()->Contains("127.0.0.1:2")) << "one success is not enough";
  m.CheckOnce();
  EXPECT_TRUE(m.ring()->Contains("127.0.0.1:2"));
}

TEST(MembershipTest, ReportedUnreachableMemberLeavesAtOnce) {
  FakeCluster fake;
  Membership m(Options(), fake.Probe());
  m.CheckOnce();
  m.ReportUnreachable("127.0.0.1:3");
  EXPECT_FALSE(m.ring()->Contains("127.0.0.1:3"));
  EXPECT_TRUE(m.IsLive("127.0.0.1:1")) << "self is always live";
}

TEST(MembershipTest, DnsRecordsBecomeMembersAndVanishWhenRemoved) {
  FakeCluster fake;
  MembershipOptions o;
  o.self = "10.0.0.1:4320";
  o.dns_name = "collectors.local";
  o.dns_interval_ms = 0;
  std::vector<std::string> records = {"10.0.0.1", "10.0.0.2"};
  Membership m(o, fake.Probe(), [&](const std::string& name) -> Result<std::vector<std::string>> {
    EXPECT_EQ(name, "collectors.local");
    return records;
  });
  m.CheckOnce();
  EXPECT_EQ(m.ring()->members(), (std::vector<std::string>{"10.0.0.1:4320", "10.0.0.2:4320"}));
  records = {"10.0.0.1"};
  m.CheckOnce();
  EXPECT_FALSE(m.IsLive("10.0.0.2:4320"));
}

TEST(MembershipTest, ParseMemberListRejectsEntriesWithoutPort) {
  auto ok = ParseMemberList("a:1, b:2,");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, (std::vector<std::string>{"a:1", "b:2"}));
  auto bad = ParseMemberList("a:1,b");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'b'"), std::string::npos);
}

}  // namespace
}  // namespace tracery::cluster
