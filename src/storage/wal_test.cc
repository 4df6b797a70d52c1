#include <gtest/gtest.h>

#include <vector>

#include "storage/storage_test_util.h"
#include "storage/testing/fault_injection_env.h"
#include "storage/wal_reader.h"
#include "storage/wal_writer.h"

namespace tracery::storage {
namespace {

std::vector<std::string> ReadAll(Env* env, const std::string& path, WalReadResult* result) {
  std::vector<std::string> out;
  auto r = ReadWalFile(env, path, [&](uint8_t type, std::string_view p) {
    EXPECT_EQ(type, kWalRecordSpanBatch);
    out.emplace_back(p);
    return Status::Ok();
  });
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (r.ok()) *result = *r;
  return out;
}

TEST(Wal, RoundTripsRecords) {
  test::TempDir dir;
  std::string path = dir.path() + "/1.log";
  {
    auto f = Env::Default()->NewWritableFile(path, true);
    ASSERT_TRUE(f.ok());
    WalWriter w(std::move(*f));
    std::string framed;
    for (int i = 0; i < 100; ++i) WalWriter::FrameRecord(kWalRecordSpanBatch, std::string(i, 'a' + i % 26), &framed);
    ASSERT_TRUE(w.AppendFramed(framed).ok());
    ASSERT_TRUE(w.Sync().ok());
  }
  WalReadResult res;
  auto recs = ReadAll(Env::Default(), path, &res);
  ASSERT_EQ(recs.size(), 100u);
  EXPECT_EQ(recs[37], std::string(37, 'a' + 11));
  EXPECT_EQ(res.bad_tail_bytes, 0u);
}

TEST(Wal, TornWriteIsUndoneAndLaterRecordsSurvive) {
  test::TempDir dir;
  testing::FaultInjectionEnv env(Env::Default());
  std::string path = dir.path() + "/1.log";
  auto f = env.NewWritableFile(path, true);
  ASSERT_TRUE(f.ok());
  WalWriter w(std::move(*f));
  std::string a, b, c;
  WalWriter::FrameRecord(kWalRecordSpanBatch, "first", &a);
  WalWriter::FrameRecord(kWalRecordSpanBatch, "second-record", &b);
  WalWriter::FrameRecord(kWalRecordSpanBatch, "third", &c);
  ASSERT_TRUE(w.AppendFramed(a).ok());
  env.TearNextAppend(7);
  EXPECT_FALSE(w.AppendFramed(b).ok());  // the writer cuts the torn bytes back off
  ASSERT_TRUE(w.AppendFramed(c).ok());
  WalReadResult res;
  auto recs = ReadAll(&env, path, &res);
  EXPECT_EQ(recs, (std::vector<std::string>{"first", "third"}));
  EXPECT_EQ(res.bad_tail_bytes, 0u);
}

TEST(Wal, TornTailIsReportedNotFatal) {
  test::TempDir dir;
  std::string path = dir.path() + "/1.log";
  std::string data;
  WalWriter::FrameRecord(kWalRecordSpanBatch, "kept", &data);
  size_t good = data.size();
  WalWriter::FrameRecord(kWalRecordSpanBatch, "torn-away-record", &data);
  data.resize(data.size() - 5);  // crash mid-append
  {
    auto f = Env::Default()->NewWritableFile(path, true);
    ASSERT_TRUE((*f)->Append(data).ok());
  }
  WalReadResult res;
  auto recs = ReadAll(Env::Default(), path, &res);
  EXPECT_EQ(recs, (std::vector<std::string>{"kept"}));
  EXPECT_EQ(res.valid_bytes, good);
  EXPECT_EQ(res.bad_tail_bytes, data.size() - good);
  EXPECT_NE(res.bad_tail_reason.find("torn"), std::string::npos);
}

TEST(Wal, CorruptRecordStopsReplayAtIt) {
  test::TempDir dir;
  std::string path = dir.path() + "/1.log";
  std::string data;
  WalWriter::FrameRecord(kWalRecordSpanBatch, "one", &data);
  size_t second = data.size();
  WalWriter::FrameRecord(kWalRecordSpanBatch, "two", &data);
  WalWriter::FrameRecord(kWalRecordSpanBatch, "three", &data);
  data[second + kWalHeaderBytes] ^= 0x40;  // flip a payload bit of "two"
  {
    auto f = Env::Default()->NewWritableFile(path, true);
    ASSERT_TRUE((*f)->Append(data).ok());
  }
  WalReadResult res;
  auto recs = ReadAll(Env::Default(), path, &res);
  EXPECT_EQ(recs, (std::vector<std::string>{"one"}));
  EXPECT_EQ(res.valid_bytes, second);
  EXPECT_NE(res.bad_tail_reason.find("checksum"), std::string::npos);
}

TEST(Wal, ImplausibleLengthIsCorruptTail) {
  test::TempDir dir;
  std::string path = dir.path() + "/1.log";
  std::string data(9, '\xff');
  {
    auto f = Env::Default()->NewWritableFile(path, true);
    ASSERT_TRUE((*f)->Append(data).ok());
  }
  WalReadResult res;
  auto recs = ReadAll(Env::Default(), path, &res);
  EXPECT_TRUE(recs.empty());
  EXPECT_EQ(res.valid_bytes, 0u);
}

}  // namespace
}  // namespace tracery::storage
