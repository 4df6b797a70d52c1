#include "server/static_files.h"

#include <gtest/gtest.h>

#include "server/http_server.h"

#include <fstream>

namespace tracery::server {
namespace {

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = std::filesystem::temp_directory_path() / ("tracery-static-" + std::to_string(getpid()));
    std::filesystem::create_directories(base_ / "dist" / "assets");
    std::ofstream(base_ / "dist" / "index.html") << "<html>app</html>";
    std::ofstream(base_ / "dist" / "assets" / "app.js") << "console.log(1)";
    std::ofstream(base_ / "secret.txt") << "secret";
  }
  void TearDown() override { std::filesystem::remove_all(base_); }
  HttpRequest Get(std::string path) {
    HttpRequest r;
    r.method = "GET";
    r.path = std::move(path);
    return r;
  }
  std::filesystem::path base_;
};

TEST_F(StaticFilesTest, ServesFilesWithTypesAndFallsBackToIndexForClientRoutes) {
  StaticFiles files(base_ / "dist");
  ASSERT_TRUE(files.available());
  auto js = files.Handle(Get("/assets/app.js"));
  ASSERT_TRUE(js);
  EXPECT_EQ(js->body, "console.log(1)");
  EXPECT_EQ(js->content_type.rfind("text/javascript", 0), 0u);
  auto route = files.Handle(Get("/trace/abc123"));
  ASSERT_TRUE(route);
  EXPECT_EQ(route->body, "<html>app</html>");
  EXPECT_FALSE(files.Handle(Get("/api/services"))) << "API paths are never answered by the UI";
}

TEST_F(StaticFilesTest, CannotLeaveItsDirectory) {
  StaticFiles files(base_ / "dist");
  for (const char* p : {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt"}) {
    auto r = files.Handle(Get(p));
    if (r) EXPECT_EQ(r->body.find("secret"), std::string::npos) << p;
  }
}

TEST_F(StaticFilesTest, PercentEncodedTraversalCannotLeaveItsDirectory) {
  StaticFiles files(base_ / "dist");
  // The server decodes the path once before routing, as HttpServer does.
  for (const char* raw : {"/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt", "/%2E%2E%2Fsecret.txt",
                          "/assets/%2e%2e/%2e%2e/secret.txt", "/..%5csecret.txt", "/%252e%252e/secret.txt"}) {
    auto r = files.Handle(Get(PercentDecode(raw, false)));
    if (r) EXPECT_EQ(r->body.find("secret"), std::string::npos) << raw;
  }
}

TEST_F(StaticFilesTest, SymlinksPointingOutsideAreNotFollowed) {
  std::filesystem::create_symlink(base_ / "secret.txt", base_ / "dist" / "leak.txt");
  std::filesystem::create_directory_symlink(base_, base_ / "dist" / "up");
  StaticFiles files(base_ / "dist");
  for (const char* p : {"/leak.txt", "/up/secret.txt"}) {
    auto r = files.Handle(Get(p));
    if (r) EXPECT_EQ(r->body.find("secret"), std::string::npos) << p;
  }
}

TEST_F(StaticFilesTest, MissingUiSaysHowToBuildIt) {
  StaticFiles files(base_ / "nowhere");
  EXPECT_FALSE(files.available());
  auto r = files.Handle(Get("/"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("npm"), std::string::npos);
}

}  // namespace
}  // namespace tracery::server
