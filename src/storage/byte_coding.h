// Little-endian fixed-width integers and LEB128 varints: the primitives of
// every Tracery on-disk format. Decoding goes through ByteReader, which never
// reads past its end: a malformed input makes it fail (ok() false) instead.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tracery::storage {

inline void PutFixed32(std::string* dst, uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);  // little-endian hosts only (x86-64, aarch64)
  dst->append(b, 4);
}
inline void PutFixed64(std::string* dst, uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  dst->append(b, 8);
}
inline void PutVarint(std::string* dst, uint64_t v) {
  char b[10];
  int n = 0;
  while (v >= 0x80) {
    b[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  b[n++] = static_cast<char>(v);
  dst->append(b, n);
}
inline uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }
inline void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint(dst, s.size());
  dst->append(s.data(), s.size());
}
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Sequential reader over a byte range. After the first failure every read
// returns zero/empty and ok() stays false, so decoders check once at the end
// of a unit instead of after every field.
class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}

  bool ok() const { return ok_; }
  bool empty() const { return p_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  void Fail() {
    ok_ = false;
    p_ = end_;
  }

  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      uint8_t b = static_cast<uint8_t>(*p_++);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    Fail();
    return 0;
  }
  uint32_t Varint32() {
    uint64_t v = Varint();
    if (v > UINT32_MAX) {
      Fail();
      return 0;
    }
    return static_cast<uint32_t>(v);
  }
  uint8_t Byte() {
    if (p_ >= end_) {
      Fail();
      return 0;
    }
    return static_cast<uint8_t>(*p_++);
  }
  uint32_t Fixed32() {
    if (remaining() < 4) {
      Fail();
      return 0;
    }
    uint32_t v = DecodeFixed32(p_);
    p_ += 4;
    return v;
  }
  uint64_t Fixed64() {
    if (remaining() < 8) {
      Fail();
      return 0;
    }
    uint64_t v = DecodeFixed64(p_);
    p_ += 8;
    return v;
  }
  std::string_view Bytes(size_t n) {
    if (remaining() < n) {
      Fail();
      return {};
    }
    std::string_view v(p_, n);
    p_ += n;
    return v;
  }
  std::string_view LengthPrefixed() { return Bytes(Varint()); }

 private:
  const char* p_ = nullptr;
  const char* end_ = nullptr;
  bool ok_ = true;
};

}  // namespace tracery::storage
