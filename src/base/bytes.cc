#include "base/bytes.h"

namespace hull {

Status ByteReader::Need(size_t n, std::string_view field) const {
  if (n > remaining()) {
    return Errorf(ErrorCode::kCorrupt, "truncated {}: need {} bytes at offset {}, {} left", field,
                  n, pos_, remaining());
  }
  return Ok();
}

Result<uint8_t> ByteReader::U8(std::string_view field) {
  HULL_TRY(Need(1, field));
  return data_[pos_++];
}

#define HULL_READER_INT_(Name, Type, Loader, Size)        \
  Result<Type> ByteReader::Name(std::string_view field) { \
    HULL_TRY(Need(Size, field));                          \
    Type v = Loader(data_.data() + pos_);                 \
    pos_ += Size;                                         \
    return v;                                             \
  }
HULL_READER_INT_(Le16, uint16_t, LoadLe16, 2)
HULL_READER_INT_(Le32, uint32_t, LoadLe32, 4)
HULL_READER_INT_(Le64, uint64_t, LoadLe64, 8)
HULL_READER_INT_(Be16, uint16_t, LoadBe16, 2)
HULL_READER_INT_(Be32, uint32_t, LoadBe32, 4)
HULL_READER_INT_(Be64, uint64_t, LoadBe64, 8)
#undef HULL_READER_INT_

Result<ByteSpan> ByteReader::Take(size_t n, std::string_view field) {
  HULL_TRY(Need(n, field));
  ByteSpan out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Status ByteReader::Skip(size_t n, std::string_view field) {
  HULL_TRY(Need(n, field));
  pos_ += n;
  return Ok();
}

Status ByteReader::Seek(size_t offset) {
  if (offset > data_.size()) {
    return Errorf(ErrorCode::kCorrupt, "seek to offset {} past end ({} bytes)", offset,
                  data_.size());
  }
  pos_ = offset;
  return Ok();
}

void ByteWriter::Le16(uint16_t v) {
  uint8_t b[2];
  StoreLe16(b, v);
  Append(b);
}
void ByteWriter::Le32(uint32_t v) {
  uint8_t b[4];
  StoreLe32(b, v);
  Append(b);
}
void ByteWriter::Le64(uint64_t v) {
  uint8_t b[8];
  StoreLe64(b, v);
  Append(b);
}
void ByteWriter::Be16(uint16_t v) {
  uint8_t b[2];
  StoreBe16(b, v);
  Append(b);
}
void ByteWriter::Be32(uint32_t v) {
  uint8_t b[4];
  StoreBe32(b, v);
  Append(b);
}
void ByteWriter::Be64(uint64_t v) {
  uint8_t b[8];
  StoreBe64(b, v);
  Append(b);
}

void ByteWriter::Append(ByteSpan b) { out_.insert(out_.end(), b.begin(), b.end()); }

void ByteWriter::AlignTo(size_t alignment) {
  size_t rem = out_.size() % alignment;
  if (rem != 0) Zeros(alignment - rem);
}

bool ConstantTimeEqual(ByteSpan a, ByteSpan b) {
  if (a.size() != b.size()) return false;
  uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= uint8_t(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace hull
