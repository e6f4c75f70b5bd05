#include "keys/varstore.h"

#include <algorithm>
#include <ctime>

#include "gpt/gpt.h"

namespace hull::keys {
namespace {

// gEfiAuthenticatedVariableGuid, mixed-endian as stored.
Uuid AuthVarStoreGuid() { return *Uuid::Parse("aaf32c78-947b-439a-a180-2e144ec37792"); }
Uuid X509Guid() { return *Uuid::Parse("a5c059a1-94e4-4aa7-87b5-ab155c2bf072"); }

constexpr size_t kStoreHeaderSize = 28;
constexpr size_t kAuthVarHeaderSize = 60;
constexpr uint16_t kStartId = 0x55AA;
constexpr uint8_t kErased = 0xFF;

Result<Uuid> ReadGuid(ByteReader& r, std::string_view field) {
  HULL_ASSIGN_OR_RETURN(ByteSpan g, r.Take(16, field));
  return Uuid::FromGptBytes(g);
}

Result<EfiVariable> ReadVariable(ByteReader& r) {
  EfiVariable v;
  HULL_TRY(r.Skip(2, "StartId"));
  HULL_ASSIGN_OR_RETURN(v.state, r.U8("State"));
  HULL_TRY(r.Skip(1, "reserved"));
  HULL_ASSIGN_OR_RETURN(v.attributes, r.Le32("Attributes"));
  HULL_TRY(r.Skip(8 + 16 + 4, "MonotonicCount, TimeStamp, PubKeyIndex"));
  HULL_ASSIGN_OR_RETURN(uint32_t name_size, r.Le32("NameSize"));
  HULL_ASSIGN_OR_RETURN(uint32_t data_size, r.Le32("DataSize"));
  HULL_ASSIGN_OR_RETURN(v.vendor, ReadGuid(r, "VendorGuid"));
  HULL_ASSIGN_OR_RETURN(ByteSpan name, r.Take(name_size, "variable name"));
  if (name_size < 2 || name_size % 2 || name[name_size - 1] || name[name_size - 2]) {
    return Error(ErrorCode::kCorrupt, "variable name is not NUL-terminated UCS-2");
  }
  for (size_t i = 0; i + 2 < name_size; i += 2) {
    uint16_t c = LoadLe16(&name[i]);
    v.name.push_back(c < 0x80 ? char(c) : '?');
  }
  HULL_ASSIGN_OR_RETURN(ByteSpan data, r.Take(data_size, "variable data"));
  v.data.assign(data.begin(), data.end());
  return v;
}

Result<size_t> FindStore(ByteSpan image) {
  auto guid = AuthVarStoreGuid().GptBytes();
  for (size_t off = 0; off + kStoreHeaderSize <= image.size(); off += 8) {
    if (std::equal(guid.begin(), guid.end(), image.begin() + off)) return off;
  }
  return Error(ErrorCode::kNotFound, "no authenticated variable store found");
}

// The store in an image: where it is, its variables and where the used area
// ends (offsets from the store's start).
struct Store {
  size_t offset = 0;
  size_t size = 0;
  std::vector<EfiVariable> variables;
  size_t end = 0;
};

Result<Store> ScanStore(ByteSpan image) {
  Store st;
  HULL_ASSIGN_OR_RETURN(st.offset, FindStore(image));
  ByteReader h(image.subspan(st.offset));
  HULL_TRY(h.Skip(16, "store GUID"));
  HULL_ASSIGN_OR_RETURN(uint32_t size, h.Le32("store Size"));
  if (size < kStoreHeaderSize || size > image.size() - st.offset) {
    return Errorf(ErrorCode::kCorrupt, "variable store size {:#x} runs past the image", size);
  }
  st.size = size;
  ByteReader r(image.subspan(st.offset, size));
  HULL_TRY(r.Seek(kStoreHeaderSize));
  st.end = kStoreHeaderSize;
  while (r.remaining() >= kAuthVarHeaderSize) {
    HULL_ASSIGN_OR_RETURN(ByteSpan start, r.Take(2, "StartId"));
    if (LoadLe16(start.data()) != kStartId) break;  // end of the used area
    if (st.variables.size() == kMaxVariables) {
      return Errorf(ErrorCode::kCorrupt, "more than {} variables", kMaxVariables);
    }
    HULL_TRY(r.Seek(r.offset() - 2));
    HULL_ASSIGN_OR_RETURN(EfiVariable v, ReadVariable(r));
    st.variables.push_back(std::move(v));
    st.end = std::min<size_t>((r.offset() + 3) / 4 * 4, size);
    if (st.end == size) break;
    HULL_TRY(r.Seek(st.end));
  }
  return st;
}

// EFI_TIME (UEFI 2.10 §8.3): Year u16, Month, Day, Hour, Minute, Second,
// Pad1 u8, Nanosecond u32, TimeZone i16, Daylight u8, Pad2 u8 = 16 bytes.
Result<std::array<uint8_t, 16>> EfiTime(int64_t unix_time) {
  std::time_t t = std::time_t(unix_time);
  std::tm tm{};
  if (!gmtime_r(&t, &tm) || tm.tm_year < 0 || tm.tm_year > 9999 - 1900) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "timestamp {} is outside the years 1900 to 9999 an EFI_TIME holds", unix_time);
  }
  std::array<uint8_t, 16> e{};
  StoreLe16(&e[0], uint16_t(tm.tm_year + 1900));
  e[2] = uint8_t(tm.tm_mon + 1);
  e[3] = uint8_t(tm.tm_mday);
  e[4] = uint8_t(tm.tm_hour);
  e[5] = uint8_t(tm.tm_min);
  e[6] = uint8_t(tm.tm_sec);
  return e;
}

// AUTHENTICATED_VARIABLE_HEADER, the UCS-2 name with its NUL, the data.
Result<Bytes> EncodeVariable(const NewVariable& v) {
  if (v.name.empty()) return Error(ErrorCode::kInvalidArgument, "empty variable name");
  for (char c : v.name) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) {
      return Errorf(ErrorCode::kInvalidArgument, "variable name '{}' is not printable ASCII",
                    v.name);
    }
  }
  HULL_ASSIGN_OR_RETURN(auto time, EfiTime(v.timestamp));
  const size_t name_size = (v.name.size() + 1) * 2;
  if (v.data.size() > UINT32_MAX) return Error(ErrorCode::kInvalidArgument, "variable too large");
  ByteWriter w;
  w.Le16(kStartId);                 // off 0
  w.U8(kVarAdded);                  // off 2 State
  w.U8(0);                          // off 3 reserved
  w.Le32(v.attributes);             // off 4
  w.Le64(0);                        // off 8 MonotonicCount
  w.Append(time);                   // off 16 TimeStamp
  w.Le32(0);                        // off 32 PubKeyIndex
  w.Le32(uint32_t(name_size));      // off 36 NameSize
  w.Le32(uint32_t(v.data.size()));  // off 40 DataSize
  w.Append(v.vendor.GptBytes());    // off 44 VendorGuid
  for (char c : v.name) w.Le16(uint16_t(c));
  w.Le16(0);
  w.Append(v.data);
  return w.Take();
}

}  // namespace

Result<std::vector<EfiVariable>> ReadVariableStore(ByteSpan image) {
  HULL_ASSIGN_OR_RETURN(Store st, ScanStore(image));
  return std::move(st.variables);
}

Status AppendVariable(MutableByteSpan flash, const NewVariable& v) {
  HULL_ASSIGN_OR_RETURN(Store st, ScanStore(flash));
  HULL_ASSIGN_OR_RETURN(Bytes rec, EncodeVariable(v));
  if (rec.size() > st.size - st.end) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "no room for variable '{}' ({} bytes) in the store ({} of {} bytes free)", v.name,
                  rec.size(), st.size - st.end, st.size);
  }
  MutableByteSpan at = flash.subspan(st.offset + st.end, rec.size());
  // Flash is written only where it is erased: anything else there would be
  // a variable this reader did not see.
  if (!std::all_of(at.begin(), at.end(), [](uint8_t b) { return b == kErased; })) {
    return Errorf(ErrorCode::kCorrupt, "the variable store's free space at {:#x} is not erased",
                  st.offset + st.end);
  }
  std::copy(rec.begin(), rec.end(), at.begin());
  return Ok();
}

Status FormatArmVirtVarStore(MutableByteSpan flash) {
  if (flash.size() != kArmVirtFlashSize) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "an ArmVirtQemu variable flash is {} bytes, not {} (Debian's "
                  "/usr/share/AAVMF/AAVMF_VARS.fd)",
                  kArmVirtFlashSize, flash.size());
  }
  constexpr size_t kFvHeaderSize = 0x48;  // 0x38 + two EFI_FV_BLOCK_MAP_ENTRYs
  std::fill(flash.begin(), flash.begin() + kArmVirtVolumeSize, kErased);
  ByteWriter fv;
  fv.Zeros(16);  // off 0x00 ZeroVector
  fv.Append(Uuid::Parse("fff12b8d-7696-4c8b-a985-2747075b4f50")->GptBytes());  // 0x10
  fv.Le64(kArmVirtVolumeSize);                                                 // off 0x20 FvLength
  fv.Append(AsBytes("_FVH"));                                                  // off 0x28 Signature
  // off 0x2C Attributes: READ_ENABLED_CAP|READ_STATUS|WRITE_ENABLED_CAP|
  // WRITE_STATUS|STICKY_WRITE|MEMORY_MAPPED|ERASE_POLARITY
  fv.Le32(0x00000E36);
  fv.Le16(kFvHeaderSize);                                    // off 0x30 HeaderLength
  fv.Le16(0);                                                // off 0x32 Checksum, below
  fv.Le16(0);                                                // off 0x34 ExtHeaderOffset
  fv.U8(0);                                                  // off 0x36 Reserved
  fv.U8(2);                                                  // off 0x37 Revision (EFI_FVH_REVISION)
  fv.Le32(uint32_t(kArmVirtFlashSize / kArmVirtBlockSize));  // off 0x38 NumBlocks
  fv.Le32(uint32_t(kArmVirtBlockSize));                      // off 0x3C Length
  fv.Zeros(8);                                               // off 0x40 terminator
  Bytes h = fv.Take();
  static_assert(kFvHeaderSize % 2 == 0);
  uint16_t sum = 0;
  for (size_t i = 0; i < h.size(); i += 2) sum = uint16_t(sum + LoadLe16(&h[i]));
  StoreLe16(&h[0x32], uint16_t(0x10000 - sum));  // the header's 16-bit words sum to 0
  std::copy(h.begin(), h.end(), flash.begin());
  ByteWriter store;  // VARIABLE_STORE_HEADER
  store.Append(AuthVarStoreGuid().GptBytes());
  store.Le32(uint32_t(kArmVirtBlockSize - kFvHeaderSize));  // Size: the first block
  store.U8(0x5A);                                           // Format: VARIABLE_STORE_FORMATTED
  store.U8(0xFE);                                           // State: VARIABLE_STORE_HEALTHY
  store.Zeros(6);
  std::copy(store.bytes().begin(), store.bytes().end(), flash.begin() + kFvHeaderSize);
  // EFI_FAULT_TOLERANT_WORKING_BLOCK_HEADER: Signature
  // gEdkiiWorkingBlockSignatureGuid, Crc u32, WorkingBlockValid:1 (0 =
  // valid) WorkingBlockInvalid:1 Reserved:6, Reserved[3], WriteQueueSize u64.
  ByteWriter ftw;
  ftw.Append(Uuid::Parse("9e58292b-7c68-497d-a0ce-6500fd9f1b95")->GptBytes());
  ftw.Le32(0xFFFFFFFF);  // off 0x10 Crc, erased while it is computed
  ftw.U8(kErased);       // off 0x14 state bits, erased likewise
  ftw.Append(std::array<uint8_t, 3>{kErased, kErased, kErased});
  ftw.Le64(kArmVirtBlockSize - 32);  // off 0x18 WriteQueueSize
  Bytes w = ftw.Take();
  StoreLe32(&w[0x10], gpt::Crc32(w));
  w[0x14] = 0xFE;  // valid
  std::copy(w.begin(), w.end(), flash.begin() + kArmVirtBlockSize);
  return Ok();
}

Result<std::vector<Bytes>> X509FromSignatureLists(ByteSpan esl) {
  std::vector<Bytes> out;
  ByteReader r(esl);
  while (r.remaining() > 0) {
    HULL_ASSIGN_OR_RETURN(Uuid type, ReadGuid(r, "SignatureType"));
    HULL_ASSIGN_OR_RETURN(uint32_t list_size, r.Le32("SignatureListSize"));
    HULL_ASSIGN_OR_RETURN(uint32_t header_size, r.Le32("SignatureHeaderSize"));
    HULL_ASSIGN_OR_RETURN(uint32_t sig_size, r.Le32("SignatureSize"));
    uint64_t body = uint64_t(list_size) - 28 - header_size;
    if (list_size < 28 + uint64_t(header_size) || sig_size <= 16 || body % sig_size != 0 ||
        body > r.remaining() - std::min<size_t>(r.remaining(), header_size)) {
      return Errorf(ErrorCode::kCorrupt, "EFI_SIGNATURE_LIST sizes {}/{}/{} do not add up",
                    list_size, header_size, sig_size);
    }
    HULL_TRY(r.Skip(header_size, "SignatureHeader"));
    for (uint64_t i = 0; i < body / sig_size; ++i) {
      if (out.size() == kMaxSignatures) return Error(ErrorCode::kCorrupt, "too many signatures");
      HULL_TRY(r.Skip(16, "SignatureOwner"));
      HULL_ASSIGN_OR_RETURN(ByteSpan data, r.Take(sig_size - 16, "SignatureData"));
      if (type == X509Guid()) out.emplace_back(data.begin(), data.end());
    }
  }
  return out;
}

}  // namespace hull::keys
