// Explicit little/big-endian codecs and bounds-checked cursors over bytes.
//
// Untrusted bytes are never reinterpret_cast into structs: they are decoded
// field by field through ByteReader, which fails instead of reading past the
// end, and encoded through ByteWriter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hull {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;
using MutableByteSpan = std::span<uint8_t>;

inline ByteSpan AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Fixed-position loads and stores. The caller guarantees p has room.
inline uint16_t LoadLe16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
inline uint32_t LoadLe32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
inline uint64_t LoadLe64(const uint8_t* p) {
  return uint64_t(LoadLe32(p)) | uint64_t(LoadLe32(p + 4)) << 32;
}
inline uint16_t LoadBe16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t LoadBe32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}
inline uint64_t LoadBe64(const uint8_t* p) {
  return uint64_t(LoadBe32(p)) << 32 | uint64_t(LoadBe32(p + 4));
}
inline void StoreLe16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}
inline void StoreLe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
inline void StoreLe64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}
inline void StoreBe16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
inline void StoreBe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * (3 - i)));
}
inline void StoreBe64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * (7 - i)));
}

// Overflow-checked arithmetic for offsets and sizes from untrusted input.
inline bool CheckedAdd(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_add_overflow(a, b, out);
}
inline bool CheckedMul(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}

// A read cursor over a span. Every read checks the remaining length and
// returns kCorrupt naming the field when the input is short.
class ByteReader {
 public:
  explicit ByteReader(ByteSpan data) : data_(data) {}

  size_t offset() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  ByteSpan data() const { return data_; }

  Result<uint8_t> U8(std::string_view field = "u8");
  Result<uint16_t> Le16(std::string_view field = "le16");
  Result<uint32_t> Le32(std::string_view field = "le32");
  Result<uint64_t> Le64(std::string_view field = "le64");
  Result<uint16_t> Be16(std::string_view field = "be16");
  Result<uint32_t> Be32(std::string_view field = "be32");
  Result<uint64_t> Be64(std::string_view field = "be64");
  // n bytes as a view into the underlying span.
  Result<ByteSpan> Take(size_t n, std::string_view field = "bytes");
  Status Skip(size_t n, std::string_view field = "padding");
  Status Seek(size_t offset);

 private:
  Status Need(size_t n, std::string_view field) const;

  ByteSpan data_;
  size_t pos_ = 0;
};

// An append-only writer into a growing byte vector.
class ByteWriter {
 public:
  void U8(uint8_t v) { out_.push_back(v); }
  void Le16(uint16_t v);
  void Le32(uint32_t v);
  void Le64(uint64_t v);
  void Be16(uint16_t v);
  void Be32(uint32_t v);
  void Be64(uint64_t v);
  // Out of line: inlined, GCC 12 reports a false -Wstringop-overflow /
  // -Warray-bounds in vector::insert when it knows the buffer's size.
  void Append(ByteSpan b);
  void Zeros(size_t n) { out_.insert(out_.end(), n, 0); }
  // Pads with zeros to a multiple of alignment (> 0).
  void AlignTo(size_t alignment);

  size_t size() const { return out_.size(); }
  const Bytes& bytes() const { return out_; }
  Bytes Take() { return std::move(out_); }

 private:
  Bytes out_;
};

// Compares two equal-length buffers in time independent of their contents.
bool ConstantTimeEqual(ByteSpan a, ByteSpan b);

}  // namespace hull
