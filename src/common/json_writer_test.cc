#include "common/json_writer.h"

#include <gtest/gtest.h>
#include <simdjson.h>

namespace tracery {
namespace {

TEST(JsonWriterTest, InsertsCommasAndNests) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("a", "x").FieldInt("b", -3).Key("c").BeginArray().Uint(1).Bool(false).Null().EndArray();
  w.Key("d").BeginObject().EndObject().EndObject();
  EXPECT_EQ(out, R"({"a":"x","b":-3,"c":[1,false,null],"d":{}})");
}

TEST(JsonWriterTest, EscapesControlQuotesAndInvalidUtf8) {
  std::string out;
  AppendJsonString(&out, std::string("a\"b\\c\n\x01 \xC3\xA9 \xFF", 12));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001 \xC3\xA9 \xEF\xBF\xBD\"");
  simdjson::dom::parser p;
  simdjson::dom::element e;
  ASSERT_EQ(p.parse(simdjson::padded_string(out)).get(e), simdjson::SUCCESS);
}

TEST(JsonWriterTest, DoublesRoundTripAndNonFiniteAreStrings) {
  std::string out;
  JsonWriter w(&out);
  w.BeginArray().Double(0.1).Double(1e300).Double(std::numeric_limits<double>::infinity()).EndArray();
  EXPECT_EQ(out, R"([0.1,1e+300,"Infinity"])");
}

TEST(Base64Test, EncodesWithPadding) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode(std::string("\xff\x00\x10", 3)), "/wAQ");
}

}  // namespace
}  // namespace tracery
