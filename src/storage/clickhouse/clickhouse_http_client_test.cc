#include "storage/clickhouse/clickhouse_http_client.h"

#include <gtest/gtest.h>

namespace tracery::storage::clickhouse {
namespace {

TEST(ClickHouseHttpClientTest, ParsesUrls) {
  auto hp = ParseClickHouseUrl("http://127.0.0.1:18123");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->first, "127.0.0.1");
  EXPECT_EQ(hp->second, 18123);
  hp = ParseClickHouseUrl("http://clickhouse/");
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->first, "clickhouse");
  EXPECT_EQ(hp->second, 8123);
  EXPECT_FALSE(ParseClickHouseUrl("https://x").ok());
  EXPECT_FALSE(ParseClickHouseUrl("http://x:99999").ok());
  EXPECT_FALSE(ParseClickHouseUrl("http://x:12/path").ok());
  EXPECT_FALSE(ParseClickHouseUrl("http://").ok());
}

TEST(ClickHouseHttpClientTest, MapsClickHouseErrorsToRetryableOrNot) {
  EXPECT_EQ(
      StatusFromClickHouseError(500, "Code: 252, e.displayText() = DB::Exception: Too many parts").code(),
      Status::Code::kResourceExhausted);
  EXPECT_EQ(StatusFromClickHouseError(500, "Code: 241, e.displayText() = Memory limit").code(),
            Status::Code::kResourceExhausted);
  EXPECT_EQ(StatusFromClickHouseError(500, "Code: 159, e.displayText() = Timeout exceeded").code(),
            Status::Code::kDeadlineExceeded);
  EXPECT_EQ(StatusFromClickHouseError(500, "Code: 62, e.displayText() = Syntax error").code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(StatusFromClickHouseError(500, "Code: 192, Unknown user").code(), Status::Code::kUnauthenticated);
  Status st = StatusFromClickHouseError(500, "Code: 60, Table x doesn't exist\n");
  EXPECT_NE(st.message().find("Table x doesn't exist"), std::string::npos);
}

}  // namespace
}  // namespace tracery::storage::clickhouse
