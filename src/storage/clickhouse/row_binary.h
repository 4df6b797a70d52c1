// RowBinary: ClickHouse's row-oriented binary format, used for every INSERT
// and SELECT between Tracery and ClickHouse (no text escaping, no number
// parsing). Integers are little-endian fixed width, String is a LEB128
// length then the bytes, FixedString(N) is N bytes, Array(T) is a LEB128
// count then the elements, Date is UInt16 days since 1970-01-01.
//
// The same primitives encode the span blob (span_blob_codec.h).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tracery::storage::clickhouse {

// Appends to a caller-owned string; never fails. Hot path: no allocation
// beyond the string's own growth.
class RowBinaryWriter {
 public:
  explicit RowBinaryWriter(std::string* out) : out_(out) {}

  void U8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void U16(uint16_t v) { Fixed(v); }
  void U32(uint32_t v) { Fixed(v); }
  void U64(uint64_t v) { Fixed(v); }
  void F64(double v) { Fixed(v); }
  void VarUInt(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  void String(std::string_view s) {
    VarUInt(s.size());
    out_->append(s.data(), s.size());
  }
  void Raw(const void* data, size_t n) { out_->append(static_cast<const char*>(data), n); }

 private:
  template <typename T>
  void Fixed(T v) {
    // Every platform Tracery builds for is little-endian, as is RowBinary.
    char buf[sizeof(T)];
    std::memcpy(buf, &v, sizeof(T));
    out_->append(buf, sizeof(T));
  }
  std::string* out_;
};

// Reads from a borrowed buffer. Every read checks bounds: on overrun the
// reader latches failed() and returns zero values, so a caller may read a
// whole row and check once.
class RowBinaryReader {
 public:
  explicit RowBinaryReader(std::string_view in) : p_(in.data()), end_(in.data() + in.size()) {}

  bool failed() const { return failed_; }
  bool done() const { return p_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  uint8_t U8() { return Fixed<uint8_t>(); }
  uint16_t U16() { return Fixed<uint16_t>(); }
  uint32_t U32() { return Fixed<uint32_t>(); }
  uint64_t U64() { return Fixed<uint64_t>(); }
  double F64() { return Fixed<double>(); }
  uint64_t VarUInt() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return Fail();
      uint8_t b = static_cast<uint8_t>(*p_++);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return Fail();
  }
  // A view into the input buffer, valid while it lives.
  std::string_view String() {
    uint64_t n = VarUInt();
    return Bytes(n);
  }
  std::string_view Bytes(uint64_t n) {
    if (failed_ || n > remaining()) {
      Fail();
      return {};
    }
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }

 private:
  template <typename T>
  T Fixed() {
    if (failed_ || remaining() < sizeof(T)) {
      Fail();
      return T{};
    }
    T v;
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  uint64_t Fail() {
    failed_ = true;
    p_ = end_;
    return 0;
  }
  const char* p_;
  const char* end_;
  bool failed_ = false;
};

}  // namespace tracery::storage::clickhouse
