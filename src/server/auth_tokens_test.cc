#include "server/auth_tokens.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

namespace tracery::server {
namespace {

TEST(TenantIdTest, AcceptsSafeIdsAndRefusesPathsAndOddCharacters) {
  for (std::string ok : {std::string("acme"), std::string("team-a.prod"), std::string("A_1"), std::string(64, 'x')}) {
    EXPECT_TRUE(ValidateTenantId(ok).ok()) << ok;
  }
  for (std::string bad : {std::string(), std::string("."), std::string(".."), std::string("a/b"),
                          std::string("../etc"), std::string("a b"), std::string(65, 'x'), std::string("t\0x", 3),
                          std::string("é")}) {
    Status st = ValidateTenantId(bad);
    EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_NE(st.message().find("A-Z"), std::string::npos) << "the message says what is allowed";
  }
}

TEST(ParseTokensTest, ReadsLinesWithDefaultRoleAndComments) {
  auto t = ParseTokens("# comment\n\ntok-a acme ingest\ntok-b beta\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ((*t)[0].grant.tenant, "acme");
  EXPECT_EQ((*t)[0].grant.role, AccessRole::kIngest);
  EXPECT_EQ((*t)[1].grant.role, AccessRole::kAll);
}

TEST(ParseTokensTest, ReadsJson) {
  auto t = ParseTokens(R"({"tokens":[{"token":"x1","tenant":"acme","role":"query"},{"token":"x2","tenant":"b"}]})");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ((*t)[0].grant.role, AccessRole::kQuery);
  EXPECT_EQ((*t)[1].grant.role, AccessRole::kAll);
}

TEST(ParseTokensTest, ErrorsNameTheLineButNeverTheToken) {
  auto bad_role = ParseTokens("sekrit-token acme admin\n");
  ASSERT_FALSE(bad_role.ok());
  EXPECT_NE(bad_role.status().message().find("line 1"), std::string::npos);
  EXPECT_EQ(bad_role.status().message().find("sekrit"), std::string::npos);
  auto bad_tenant = ParseTokens("sekrit-token ../x\n");
  ASSERT_FALSE(bad_tenant.ok());
  EXPECT_EQ(bad_tenant.status().message().find("sekrit"), std::string::npos);
  EXPECT_FALSE(ParseTokens("only-a-token\n").ok());
  EXPECT_FALSE(ParseTokens(R"({"tokens":[{"token":"x"}]})").ok());
  EXPECT_FALSE(ParseTokens("{not json").ok());
}

TEST(TokenFingerprintTest, IsShortHexAndDoesNotContainTheToken) {
  std::string fp = TokenFingerprint("abcdef0123456789");
  EXPECT_EQ(fp.size(), 8u);
  EXPECT_EQ(fp.find("abcdef"), std::string::npos);
  EXPECT_NE(fp, TokenFingerprint("abcdef012345678"));
}

class TokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() / ("tracery-tokens-" + std::to_string(getpid()));
    Write("tok-acme acme all\ntok-ingest acme ingest\ntok-beta beta query\n");
    auto a = TokenAuthenticator::Open(path_);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    auth_ = std::move(a).value();
  }
  void TearDown() override { std::filesystem::remove(path_); }
  void Write(const std::string& text) { std::ofstream(path_, std::ios::trunc) << text; }
  std::filesystem::path path_;
  std::unique_ptr<TokenAuthenticator> auth_;
};

TEST_F(TokenFileTest, AuthenticatesKnownTokensOnly) {
  auto g = auth_->Authenticate("tok-beta");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->tenant, "beta");
  EXPECT_EQ(g->role, AccessRole::kQuery);
  EXPECT_EQ(auth_->Authenticate("tok-bet").status().code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(auth_->Authenticate("").status().code(), Status::Code::kUnauthenticated);
}

TEST_F(TokenFileTest, ReloadsWhenTheFileChangesAndKeepsOldTokensOnABadEdit) {
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  Write("tok-new gamma all\n");
  EXPECT_TRUE(auth_->Authenticate("tok-new").ok());
  EXPECT_FALSE(auth_->Authenticate("tok-acme").ok()) << "a removed token stops working";
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  Write("tok-new gamma bogus-role and more\n");
  EXPECT_TRUE(auth_->Authenticate("tok-new").ok()) << "a malformed file keeps the previous tokens";
}

TEST_F(TokenFileTest, ResolveTenantAppliesTokensRolesAndTenants) {
  AccessPolicy mt{true, auth_.get()};
  std::string acme = "acme", beta = "beta", bad = "../x";
  std::string bearer_acme = "Bearer tok-acme", bearer_ingest = "bearer tok-ingest", basic = "Basic dG9r";
  std::string unknown = "Bearer nope";
  auto code = [](const Result<std::string>& r) { return r.ok() ? Status::Code::kOk : r.status().code(); };

  EXPECT_EQ(code(ResolveTenant(mt, &acme, nullptr, AccessRole::kQuery)), Status::Code::kUnauthenticated);
  EXPECT_EQ(code(ResolveTenant(mt, &acme, &basic, AccessRole::kQuery)), Status::Code::kUnauthenticated);
  EXPECT_EQ(code(ResolveTenant(mt, &acme, &unknown, AccessRole::kQuery)), Status::Code::kUnauthenticated);
  EXPECT_EQ(code(ResolveTenant(mt, &beta, &bearer_acme, AccessRole::kQuery)), Status::Code::kPermissionDenied);
  EXPECT_EQ(code(ResolveTenant(mt, &acme, &bearer_ingest, AccessRole::kQuery)), Status::Code::kPermissionDenied);
  EXPECT_EQ(code(ResolveTenant(mt, &bad, &bearer_acme, AccessRole::kQuery)), Status::Code::kInvalidArgument);
  auto ok = ResolveTenant(mt, &acme, &bearer_ingest, AccessRole::kIngest);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "acme");
  auto from_token = ResolveTenant(mt, nullptr, &bearer_acme, AccessRole::kQuery);
  ASSERT_TRUE(from_token.ok()) << "without the header the token decides the tenant";
  EXPECT_EQ(*from_token, "acme");

  AccessPolicy single{false, auth_.get()};
  auto s = ResolveTenant(single, &beta, &bearer_acme, AccessRole::kQuery);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, kSingleTenantId) << "without multi-tenancy the header is ignored";
}

TEST(ResolveTenantTest, MultiTenancyWithoutTokensNeedsAValidHeader) {
  AccessPolicy mt{true, nullptr};
  std::string acme = "acme", bad = "a/b";
  EXPECT_EQ(ResolveTenant(mt, nullptr, nullptr, AccessRole::kIngest).status().code(), Status::Code::kUnauthenticated);
  EXPECT_EQ(ResolveTenant(mt, &bad, nullptr, AccessRole::kIngest).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(*ResolveTenant(mt, &acme, nullptr, AccessRole::kIngest), "acme");
  AccessPolicy off{false, nullptr};
  EXPECT_EQ(*ResolveTenant(off, &bad, nullptr, AccessRole::kIngest), kSingleTenantId);
}

}  // namespace
}  // namespace tracery::server
