#include "keys/varstore.h"

#include <algorithm>

namespace hull::keys {
namespace {

// gEfiAuthenticatedVariableGuid, mixed-endian as stored.
Uuid AuthVarStoreGuid() { return *Uuid::Parse("aaf32c78-947b-439a-a180-2e144ec37792"); }
Uuid X509Guid() { return *Uuid::Parse("a5c059a1-94e4-4aa7-87b5-ab155c2bf072"); }

constexpr size_t kStoreHeaderSize = 28;
constexpr size_t kAuthVarHeaderSize = 60;

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

}  // namespace

Result<std::vector<EfiVariable>> ReadVariableStore(ByteSpan image) {
  HULL_ASSIGN_OR_RETURN(size_t off, FindStore(image));
  ByteReader h(image.subspan(off));
  HULL_TRY(h.Skip(16, "store GUID"));
  HULL_ASSIGN_OR_RETURN(uint32_t size, h.Le32("store Size"));
  if (size < kStoreHeaderSize || size > image.size() - off) {
    return Errorf(ErrorCode::kCorrupt, "variable store size {:#x} runs past the image", size);
  }
  ByteReader r(image.subspan(off, size));
  HULL_TRY(r.Seek(kStoreHeaderSize));
  std::vector<EfiVariable> out;
  while (r.remaining() >= kAuthVarHeaderSize) {
    HULL_ASSIGN_OR_RETURN(ByteSpan start, r.Take(2, "StartId"));
    if (LoadLe16(start.data()) != 0x55AA) break;  // end of the used area
    if (out.size() == kMaxVariables) {
      return Errorf(ErrorCode::kCorrupt, "more than {} variables", kMaxVariables);
    }
    HULL_TRY(r.Seek(r.offset() - 2));
    HULL_ASSIGN_OR_RETURN(EfiVariable v, ReadVariable(r));
    out.push_back(std::move(v));
    size_t next = (r.offset() + 3) / 4 * 4;
    if (next >= size) break;
    HULL_TRY(r.Seek(next));
  }
  return out;
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
