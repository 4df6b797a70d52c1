#include "storage/bloom_filter.h"

#include <gtest/gtest.h>

namespace tracery::storage {
namespace {

TEST(BloomFilter, NoFalseNegativesAndFewFalsePositives) {
  BloomFilterBuilder b;
  for (uint64_t i = 0; i < 10000; ++i) b.Add(model::TraceId::FromHighLow(i * 7919, i));
  std::string data = b.Finish();
  BloomFilterView v(data);
  for (uint64_t i = 0; i < 10000; ++i) ASSERT_TRUE(v.MayContain(model::TraceId::FromHighLow(i * 7919, i)));
  int fp = 0;
  for (uint64_t i = 0; i < 10000; ++i) fp += v.MayContain(model::TraceId::FromHighLow(i, i * 31 + 1'000'000));
  EXPECT_LT(fp, 300);  // ~1% expected
}

TEST(BloomFilter, EmptyOrMalformedFilterSaysMaybe) {
  EXPECT_TRUE(BloomFilterView("").MayContain(model::TraceId::FromHighLow(1, 2)));
  EXPECT_TRUE(BloomFilterView(std::string(10, '\0') + '\xff').MayContain(model::TraceId::FromHighLow(1, 2)));
}

}  // namespace
}  // namespace tracery::storage
