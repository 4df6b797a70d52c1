#include "common/query_string.h"

#include <gtest/gtest.h>

namespace tracery {
namespace {

TEST(ParseQueryStringTest, DecodesPercentAndPlusAndKeepsRepeats) {
  auto q = ParseQueryString("service=my%20svc&tag=a%3Ab&tag=c+d&flag&=x");
  ASSERT_EQ(q.size(), 5u);
  EXPECT_EQ(q[0], std::make_pair(std::string("service"), std::string("my svc")));
  EXPECT_EQ(q[1].second, "a:b");
  EXPECT_EQ(q[2].second, "c d");
  EXPECT_EQ(q[3], std::make_pair(std::string("flag"), std::string("")));
  EXPECT_EQ(q[4], std::make_pair(std::string(""), std::string("x")));
  EXPECT_EQ(PercentDecode("%zz%4", false), "%zz%4") << "malformed escapes are kept literally";
  EXPECT_EQ(PercentDecode("a+b%2B", false), "a+b+") << "'+' is literal outside a query string";
}

TEST(ParseQueryStringStrictTest, DecodesPairs) {
  auto r = ParseQueryStringStrict("service=cart&minDuration=500ms&tag=http.route%3A%2Fx&flag&x=a+b");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ((*r)[2].second, "http.route:/x");
  EXPECT_EQ((*r)[3].first, "flag");
  EXPECT_EQ((*r)[4].second, "a b");
}

TEST(ParseQueryStringStrictTest, RejectsMalformedEscapesSayingWhich) {
  EXPECT_FALSE(ParseQueryStringStrict("a=%4").ok());
  EXPECT_FALSE(ParseQueryStringStrict("a=%g0").ok());
  EXPECT_FALSE(ParseQueryStringStrict("%zz=1").ok()) << "keys are checked too";
  auto r = PercentDecodeStrict("50%", true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("truncated percent escape in \"50%\""), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace tracery
