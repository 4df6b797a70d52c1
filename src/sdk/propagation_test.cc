#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "propagation/header_grammar.h"
#include "tracery/propagation.h"

namespace tracery {
namespace {

using Headers = std::map<std::string, std::string>;

Context ExtractW3C(const Headers& h) {
  Headers copy = h;
  StdMapCarrier carrier(copy);
  return W3CTraceContextPropagator().Extract(carrier, Context{});
}

constexpr char kValid[] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

TEST(TraceparentTest, ParsesValidHeader) {
  Context c = ExtractW3C({{"traceparent", kValid}});
  ASSERT_TRUE(c.span_context.IsValid());
  EXPECT_EQ(c.span_context.trace_id.ToHex(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(c.span_context.span_id.ToHex(), "b7ad6b7169203331");
  EXPECT_TRUE(c.span_context.IsSampled());
  EXPECT_TRUE(c.span_context.is_remote);
}

TEST(TraceparentTest, RejectsSpecViolations) {
  const char* invalid[] = {
      "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",   // uppercase trace id
      "00-0af7651916cd43dd8448eb211c80319c-B7AD6B7169203331-01",   // uppercase span id
      "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",   // version ff
      "00-00000000000000000000000000000000-b7ad6b7169203331-01",   // zero trace id
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",   // zero span id
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x",  // version 00 with extra field
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0",    // short
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g",   // bad flags
      "0-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",    // short version
      "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",   // bad delimiter
      "0g-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",   // non-hex version
      "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x",  // future version, no '-' before extra
      "",
  };
  for (const char* h : invalid) {
    EXPECT_FALSE(ExtractW3C({{"traceparent", h}}).span_context.IsValid()) << h;
  }
}

TEST(TraceparentTest, FutureVersionIgnoresExtraFields) {
  Context c = ExtractW3C({{"traceparent", "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future"}});
  ASSERT_TRUE(c.span_context.IsValid());
  EXPECT_EQ(c.span_context.span_id.ToHex(), "b7ad6b7169203331");
  EXPECT_TRUE(ExtractW3C({{"traceparent", "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}})
                  .span_context.IsValid());
}

TEST(TraceparentTest, InjectRoundTripsAndFlags) {
  Context c = ExtractW3C({{"traceparent", kValid}, {"tracestate", "congo=t61rcWkgMzE"}});
  Headers out;
  StdMapCarrier carrier(out);
  W3CTraceContextPropagator().Inject(c, carrier);
  EXPECT_EQ(out["traceparent"], kValid);
  EXPECT_EQ(out["tracestate"], "congo=t61rcWkgMzE");
  Context unsampled = ExtractW3C({{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"}});
  EXPECT_FALSE(unsampled.span_context.IsSampled());
}

TEST(TraceparentTest, HeaderLookupIsCaseInsensitive) {
  Context c = ExtractW3C({{"TraceParent", kValid}});
  EXPECT_TRUE(c.span_context.IsValid());
}

// The SWAR id decoder must accept exactly 0-9 and a-f in every one of its 16
// positions (a carry between byte lanes would let a bad byte through or
// corrupt a neighbour's value), and decode each digit to its value.
TEST(TraceparentTest, IdDecoderAcceptsExactlyLowercaseHexAtEveryPosition) {
  const std::string base = "0af7651916cd43dd";
  for (size_t pos = 0; pos < 16; ++pos) {
    for (int byte = 0; byte < 256; ++byte) {
      std::string hex = base;
      hex[pos] = static_cast<char>(byte);
      const bool is_hex = (byte >= '0' && byte <= '9') || (byte >= 'a' && byte <= 'f');
      uint64_t got = 0;
      ASSERT_EQ(internal::DecodeLowerHex16(hex.data(), &got), is_hex) << "byte " << byte << " at " << pos;
      if (is_hex) {
        const uint64_t digit = byte <= '9' ? byte - '0' : byte - 'a' + 10;
        const uint64_t want = (0x0af7651916cd43ddULL & ~(0xFULL << (60 - 4 * pos))) | (digit << (60 - 4 * pos));
        ASSERT_EQ(got, want) << "byte " << byte << " at " << pos;
      }
    }
  }
  uint64_t v = 0;
  EXPECT_TRUE(internal::DecodeLowerHex16("ffffffffffffffff", &v));
  EXPECT_EQ(v, ~uint64_t{0});
  EXPECT_TRUE(internal::DecodeLowerHex16("0000000000000000", &v));
  EXPECT_EQ(v, 0u);
}

// Extracting into a context that already has a span context replaces all of
// it, trace state included, also when the new header carries no tracestate.
TEST(TraceparentTest, ExtractReplacesEarlierTraceState) {
  Headers first{{"traceparent", kValid}, {"tracestate", "congo=t61rcWkgMzE"}};
  StdMapCarrier c1(first);
  Context in = W3CTraceContextPropagator().Extract(c1, Context{});
  ASSERT_FALSE(in.span_context.trace_state.empty());
  Headers second{{"traceparent", "00-11111111111111111111111111111111-2222222222222222-00"}};
  StdMapCarrier c2(second);
  Context out = W3CTraceContextPropagator().Extract(c2, in);
  EXPECT_EQ(out.span_context.trace_id.ToHex(), "11111111111111111111111111111111");
  EXPECT_FALSE(out.span_context.IsSampled());
  EXPECT_TRUE(out.span_context.trace_state.empty());
  // A missing or invalid traceparent leaves the context (and its state) alone.
  Headers bad{{"traceparent", "00-xyz"}};
  StdMapCarrier c3(bad);
  EXPECT_EQ(W3CTraceContextPropagator().Extract(c3, in).span_context, in.span_context);
}

TEST(TraceStateTest, ParsesAndNormalisesMembers) {
  bool valid = false;
  TraceState ts = TraceState::FromHeader("rojo=00f067aa0ba902b7 , , congo=t61rcWkgMzE,tenant@vendor=x", &valid);
  EXPECT_TRUE(valid);
  EXPECT_EQ(ts.ToHeader(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,tenant@vendor=x");
  EXPECT_EQ(ts.Get("congo"), "t61rcWkgMzE");
  EXPECT_FALSE(ts.Get("missing"));
}

TEST(TraceStateTest, DropsWholeHeaderWhenInvalid) {
  const char* invalid[] = {
      "Rojo=1",              // uppercase key
      "1rojo=1",             // simple key must start with a letter
      "rojo=1,rojo=2",       // duplicate key
      "rojo",                // no '='
      "rojo=a,b",            // ',' cannot be in a value... leaves 'b' without '='
      "rojo=va=lue",         // '=' in value
      "rojo=trailing ",      // value ends with space... trimmed as OWS, so use tab inside
      "t@toolongsystemid=1", // system id > 14 chars
      "@sys=1",              // empty tenant
      "tenant@=1",           // empty system
  };
  for (const char* h : invalid) {
    bool valid = true;
    TraceState ts = TraceState::FromHeader(h, &valid);
    if (std::string(h) == "rojo=trailing ") {
      EXPECT_TRUE(valid);  // trailing whitespace is OWS around the member, not part of the value
      continue;
    }
    EXPECT_FALSE(valid) << h;
    EXPECT_TRUE(ts.empty()) << h;
  }
}

TEST(TraceStateTest, MemberLimitIs32) {
  std::string h32, h33;
  for (int i = 0; i < 33; ++i) {
    std::string m = "k" + std::to_string(i) + "=v";
    if (i < 32) h32 += (i ? "," : "") + m;
    h33 += (i ? "," : "") + m;
  }
  bool valid = false;
  EXPECT_FALSE(TraceState::FromHeader(h32, &valid).empty());
  EXPECT_TRUE(valid);
  EXPECT_TRUE(TraceState::FromHeader(h33, &valid).empty());
  EXPECT_FALSE(valid);
  // Via the propagator: the traceparent survives, the tracestate is dropped.
  Context c = ExtractW3C({{"traceparent", kValid}, {"tracestate", h33}});
  EXPECT_TRUE(c.span_context.IsValid());
  EXPECT_TRUE(c.span_context.trace_state.empty());
}

TEST(TraceStateTest, SetMovesKeyToFrontAndKeepsLimit) {
  TraceState ts = TraceState::FromHeader("a=1,b=2,c=3");
  EXPECT_EQ(ts.Set("b", "9").ToHeader(), "b=9,a=1,c=3");
  EXPECT_EQ(ts.Set("new", "x").ToHeader(), "new=x,a=1,b=2,c=3");
  EXPECT_EQ(ts.Remove("a").ToHeader(), "b=2,c=3");
  EXPECT_EQ(ts.Set("Bad", "x").ToHeader(), ts.ToHeader());
  std::string h32;
  for (int i = 0; i < 32; ++i) h32 += (i ? "," : "") + std::string("k") + std::to_string(i) + "=v";
  TraceState full = TraceState::FromHeader(h32);
  TraceState added = full.Set("z", "1");
  EXPECT_EQ(added.ToHeader().substr(0, 4), "z=1,");
  EXPECT_FALSE(added.Get("k31"));  // the oldest entry made room
  EXPECT_TRUE(added.Get("k30"));
}

TEST(BaggageTest, ParsesPercentEncodingAndProperties) {
  Baggage b = Baggage::FromHeader("userId=alice, serverNode = DF%2028 ;prop1;k=v,isProduction=false");
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(b.Get("userId"), "alice");
  EXPECT_EQ(b.Get("serverNode"), "DF 28");
  EXPECT_EQ(b.entries()[1].metadata, "prop1;k=v");
  EXPECT_EQ(b.Get("isProduction"), "false");
}

TEST(BaggageTest, SkipsInvalidMembers) {
  Baggage b = Baggage::FromHeader("good=1,bad key=2,novalue,bad=%zz,quote=a\"b,also=ok");
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(b.Get("good"), "1");
  EXPECT_EQ(b.Get("also"), "ok");
}

TEST(BaggageTest, EncodesValuesOnInject) {
  Baggage b = Baggage().Set("k", "a b,c;d=é%");
  EXPECT_EQ(b.ToHeader(), "k=a%20b%2Cc%3Bd=%C3%A9%25");
  EXPECT_EQ(Baggage::FromHeader(b.ToHeader()).Get("k"), "a b,c;d=é%");
}

TEST(BaggageTest, IsImmutable) {
  Baggage a = Baggage().Set("x", "1");
  Baggage b = a.Set("y", "2");
  Baggage c = b.Remove("x");
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(c.size(), 1u);
  EXPECT_EQ(c.Get("y"), "2");
  EXPECT_EQ(a.Set("bad key", "v").size(), 1u);
}

TEST(BaggageTest, EnforcesLimits) {
  std::string many;
  for (int i = 0; i < 200; ++i) many += (i ? "," : "") + std::string("k") + std::to_string(i) + "=v";
  EXPECT_EQ(Baggage::FromHeader(many).size(), Baggage::kMaxMembers);
  std::string big = "a=" + std::string(5000, 'x') + ",b=" + std::string(5000, 'y');
  Baggage parsed = Baggage::FromHeader(big);
  EXPECT_EQ(parsed.size(), 1u);  // b would end past 8192 bytes
  Baggage two = Baggage().Set("a", std::string(5000, 'x')).Set("b", std::string(5000, 'y'));
  EXPECT_LE(two.ToHeader().size(), Baggage::kMaxHeaderBytes);
  Baggage full;
  for (int i = 0; i < 200; ++i) full = full.Set("k" + std::to_string(i), "v");
  EXPECT_EQ(full.size(), Baggage::kMaxMembers);
}

TEST(BaggageTest, PropagatorMergesIntoContext) {
  Headers h{{"baggage", "a=1,b=2"}};
  StdMapCarrier carrier(h);
  Context in;
  in.baggage = Baggage().Set("a", "0").Set("z", "9");
  Context out = W3CBaggagePropagator().Extract(carrier, in);
  EXPECT_EQ(out.baggage.Get("a"), "1");
  EXPECT_EQ(out.baggage.Get("z"), "9");
  Headers sent;
  StdMapCarrier sink(sent);
  W3CBaggagePropagator().Inject(out, sink);
  EXPECT_EQ(Baggage::FromHeader(sent["baggage"]), out.baggage);
}

Context ExtractB3(const Headers& h) {
  Headers copy = h;
  StdMapCarrier carrier(copy);
  return B3Propagator().Extract(carrier, Context{});
}

TEST(B3Test, SingleHeaderForms) {
  Context c = ExtractB3({{"b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90"}});
  ASSERT_TRUE(c.span_context.IsValid());
  EXPECT_EQ(c.span_context.trace_id.ToHex(), "80f198ee56343ba864fe8b2a57d3eff7");
  EXPECT_EQ(c.span_context.span_id.ToHex(), "e457b5a2e4d86bd1");
  EXPECT_TRUE(c.span_context.IsSampled());
  EXPECT_TRUE(ExtractB3({{"b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-d"}}).span_context.IsSampled());
  EXPECT_FALSE(ExtractB3({{"b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-0"}}).span_context.IsSampled());
  EXPECT_TRUE(ExtractB3({{"b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1"}}).span_context.IsValid());
  // 64-bit trace id: left-padded.
  Context short_id = ExtractB3({{"b3", "64fe8b2a57d3eff7-e457b5a2e4d86bd1-1"}});
  EXPECT_EQ(short_id.span_context.trace_id.ToHex(), "000000000000000064fe8b2a57d3eff7");
  // Decision only: no context.
  EXPECT_FALSE(ExtractB3({{"b3", "0"}}).span_context.IsValid());
  EXPECT_FALSE(ExtractB3({{"b3", "d"}}).span_context.IsValid());
}

TEST(B3Test, RejectsMalformedSingleHeader) {
  const char* invalid[] = {
      "80F198EE56343BA864FE8B2A57D3EFF7-e457b5a2e4d86bd1-1",  // uppercase
      "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-2",  // bad sampled
      "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2",            // short span id
      "80f198ee56343ba8-64fe8b2a57d3eff7-e457b5a2e4d86bd1",   // bad layout
      "00000000000000000000000000000000-e457b5a2e4d86bd1-1",  // zero trace id
      "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a-x",
  };
  for (const char* h : invalid) EXPECT_FALSE(ExtractB3({{"b3", h}}).span_context.IsValid()) << h;
}

TEST(B3Test, MultiHeaderForms) {
  Context c = ExtractB3({{"X-B3-TraceId", "463ac35c9f6413ad48485a3953bb6124"},
                         {"X-B3-SpanId", "a2fb4a1d1a96d312"},
                         {"X-B3-ParentSpanId", "0020000000000001"},
                         {"X-B3-Sampled", "1"}});
  ASSERT_TRUE(c.span_context.IsValid());
  EXPECT_TRUE(c.span_context.IsSampled());
  Context debug = ExtractB3(
      {{"x-b3-traceid", "463ac35c9f6413ad"}, {"x-b3-spanid", "a2fb4a1d1a96d312"}, {"x-b3-flags", "1"}});
  EXPECT_TRUE(debug.span_context.IsSampled());
  EXPECT_EQ(debug.span_context.trace_id.high, 0u);
  EXPECT_FALSE(ExtractB3({{"x-b3-traceid", "463ac35c9f6413ad"}, {"x-b3-spanid", "a2fb4a1d1a96d312"},
                          {"x-b3-sampled", "0"}})
                   .span_context.IsSampled());
  EXPECT_FALSE(ExtractB3({{"x-b3-traceid", "463ac35c9f6413ad"}}).span_context.IsValid());
  EXPECT_FALSE(ExtractB3({{"x-b3-traceid", "463ac35c9f6413ad"}, {"x-b3-spanid", "zz"}}).span_context.IsValid());
}

TEST(B3Test, InjectsBothForms) {
  Context c = ExtractB3({{"b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1"}});
  Headers single, multi;
  StdMapCarrier s(single), m(multi);
  B3Propagator(B3Propagator::Form::kSingleHeader).Inject(c, s);
  B3Propagator(B3Propagator::Form::kMultiHeader).Inject(c, m);
  EXPECT_EQ(single["b3"], "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1");
  EXPECT_EQ(multi["x-b3-traceid"], "80f198ee56343ba864fe8b2a57d3eff7");
  EXPECT_EQ(multi["x-b3-spanid"], "e457b5a2e4d86bd1");
  EXPECT_EQ(multi["x-b3-sampled"], "1");
}

Context ExtractJaeger(const Headers& h) {
  Headers copy = h;
  StdMapCarrier carrier(copy);
  return JaegerPropagator().Extract(carrier, Context{});
}

TEST(JaegerTest, ParsesUberTraceId) {
  Context c = ExtractJaeger({{"uber-trace-id", "80f198ee56343ba864fe8b2a57d3eff7:e457b5a2e4d86bd1:0:1"}});
  ASSERT_TRUE(c.span_context.IsValid());
  EXPECT_TRUE(c.span_context.IsSampled());
  // 64-bit and short ids are left-padded; debug flag (2) implies sampled; encoded colons.
  Context s = ExtractJaeger({{"uber-trace-id", "abc:1f:0:3"}});
  EXPECT_EQ(s.span_context.trace_id.ToHex(), "00000000000000000000000000000abc");
  EXPECT_EQ(s.span_context.span_id.ToHex(), "000000000000001f");
  EXPECT_TRUE(s.span_context.IsSampled());
  EXPECT_TRUE(ExtractJaeger({{"uber-trace-id", "abc%3A1f%3A0%3A1"}}).span_context.IsValid());
  EXPECT_FALSE(ExtractJaeger({{"uber-trace-id", "abc:1f:0:0"}}).span_context.IsSampled());
}

TEST(JaegerTest, RejectsMalformed) {
  const char* invalid[] = {"abc:1f:0", "0:1f:0:1", "abc:0:0:1", "abc:1f:0:1:5", "xyz:1f:0:1",
                           "123456789012345678901234567890123:1f:0:1", ""};
  for (const char* h : invalid) EXPECT_FALSE(ExtractJaeger({{"uber-trace-id", h}}).span_context.IsValid()) << h;
}

TEST(JaegerTest, UberctxBaggageRoundTrip) {
  Context c = ExtractJaeger({{"uber-trace-id", "abc:1f:0:1"}, {"uberctx-user", "alice%20smith"}, {"UberCtx-Tier", "gold"}});
  EXPECT_EQ(c.baggage.Get("user"), "alice smith");
  EXPECT_EQ(c.baggage.Get("Tier"), "gold");
  Headers out;
  StdMapCarrier sink(out);
  JaegerPropagator().Inject(c, sink);
  EXPECT_EQ(out["uber-trace-id"], "00000000000000000000000000000abc:000000000000001f:0:1");
  EXPECT_EQ(out["uberctx-user"], "alice%20smith");
}

TEST(CompositeTest, InjectsAllAndExtractsInOrder) {
  auto prop = MakePropagator({"tracecontext", "baggage", "b3multi", "bogus"});
  std::vector<std::pair<std::string, std::string>> headers{{"traceparent", kValid}, {"Baggage", "a=1"}};
  HeaderVectorCarrier carrier(headers);
  Context c = prop->Extract(carrier, Context{});
  EXPECT_TRUE(c.span_context.IsValid());
  EXPECT_EQ(c.baggage.Get("a"), "1");
  std::vector<std::pair<std::string, std::string>> out;
  HeaderVectorCarrier sink(out);
  prop->Inject(c, sink);
  EXPECT_EQ(sink.Get("traceparent"), kValid);
  EXPECT_EQ(sink.Get("x-b3-spanid"), "b7ad6b7169203331");
  EXPECT_EQ(sink.Get("baggage"), "a=1");
  std::vector<std::string> unknown;
  MakePropagator({"tracecontext", "bogus"}, &unknown);
  EXPECT_EQ(unknown, std::vector<std::string>{"bogus"});
}

// ExtractInto must give what Extract gives, for the composite and each part,
// including baggage merged into a context that already has some.
TEST(CompositeTest, ExtractIntoMatchesExtract) {
  auto prop = MakePropagator({"tracecontext", "baggage", "b3", "jaeger"});
  Headers h{{"traceparent", kValid}, {"tracestate", "a=1"}, {"baggage", "a=1,b=2;p"}, {"uberctx-j", "x"}};
  StdMapCarrier carrier(h);
  Context in;
  in.baggage = Baggage().Set("a", "0").Set("z", "9");
  Context by_value = prop->Extract(carrier, in);
  Context in_place = in;
  prop->ExtractInto(carrier, in_place);
  EXPECT_EQ(in_place.span_context, by_value.span_context);
  EXPECT_EQ(in_place.baggage, by_value.baggage);
  EXPECT_EQ(by_value.baggage.Get("a"), "1");
  EXPECT_EQ(by_value.baggage.Get("z"), "9");
  EXPECT_EQ(by_value.baggage.Get("j"), "x");
  EXPECT_EQ(in.baggage.Get("a"), "0");  // the input is not changed by Extract
  // Into an empty context the parsed baggage is taken as is.
  Context fresh;
  prop->ExtractInto(carrier, fresh);
  EXPECT_EQ(fresh.baggage.size(), 3u);
  EXPECT_EQ(fresh.baggage.entries()[1].metadata, "p");
}

TEST(CarrierTest, MultiMapCarrierReadsAndWrites) {
  std::multimap<std::string, std::string> md{{"traceparent", kValid}, {"other", "x"}};
  std::vector<std::pair<std::string, std::string>> added;
  MultiMapCarrier<std::multimap<std::string, std::string>> carrier(
      md, [&](std::string_view k, std::string_view v) { added.emplace_back(k, v); });
  Context c = W3CTraceContextPropagator().Extract(carrier, Context{});
  EXPECT_TRUE(c.span_context.IsValid());
  W3CTraceContextPropagator().Inject(c, carrier);
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].second, kValid);
}

TEST(ExtractTest, GarbageNeverCrashes) {
  std::string junk;
  for (int i = 0; i < 2000; ++i) {
    junk.push_back(static_cast<char>((i * 131 + 7) % 256));
    Headers h{{"traceparent", junk}, {"tracestate", junk}, {"baggage", junk}, {"b3", junk},
              {"uber-trace-id", junk}, {"uberctx-x", junk}};
    StdMapCarrier carrier(h);
    auto prop = MakePropagator({"tracecontext", "baggage", "b3", "jaeger"});
    Context c = prop->Extract(carrier, Context{});
    (void)c;
  }
}

}  // namespace
}  // namespace tracery
