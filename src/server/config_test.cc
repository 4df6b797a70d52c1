#include "server/config.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

namespace tracery::server {
namespace {

TEST(SplitHostPortTest, ParsesHostsAndRejectsGarbage) {
  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(SplitHostPort("127.0.0.1:4317", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 4317);
  ASSERT_TRUE(SplitHostPort("[::1]:16686", &host, &port));
  EXPECT_EQ(host, "::1");
  ASSERT_TRUE(SplitHostPort(":9411", &host, &port));
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_FALSE(SplitHostPort("localhost", &host, &port));
  EXPECT_FALSE(SplitHostPort("h:99999", &host, &port));
  EXPECT_FALSE(SplitHostPort("h:12a", &host, &port));
}

TEST(ServerFlagsTest, FlagsAndEnvironmentFillTheConfig) {
  ServerConfig c;
  CLI::App app;
  AddServerFlags(&app, &c);
  setenv("TRACERY_RETENTION", "720h", 1);
  const char* argv[] = {"tracery", "--data-dir", "/tmp/x", "--wal-fsync", "interval"};
  app.parse(5, const_cast<char**>(argv));
  unsetenv("TRACERY_RETENTION");
  EXPECT_EQ(c.data_dir, "/tmp/x");
  EXPECT_EQ(c.wal_fsync, "interval");
  EXPECT_EQ(c.retention, "720h");
  EXPECT_EQ(c.otlp_grpc_addr, "0.0.0.0:4317") << "standard ports are the defaults";
  EXPECT_NE(DescribeConfig(c).find("retention = 720h"), std::string::npos);
}

}  // namespace
}  // namespace tracery::server
