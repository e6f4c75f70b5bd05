#include "rootfs/erofs_modes.h"

#include <fmt/format.h>
#include <sys/stat.h>

namespace hull::rootfs {
namespace {

constexpr uint64_t kSuperblockOffset = 1024;
constexpr uint32_t kMagic = 0xE0F5E1E2;
constexpr uint64_t kSlot = 32;  // NIDs count 32-byte slots
constexpr uint64_t kDirentSize = 12;
constexpr unsigned kLayoutFlatPlain = 0, kLayoutFlatInline = 2;
constexpr uint32_t kIncompatZeroPadding = 1u << 0, kIncompatComprCfgs = 1u << 1;
constexpr uint16_t kAlgLz4 = 1u << 0;
constexpr uint64_t kXattrHeader = 12;  // erofs_xattr_ibody_header
constexpr uint8_t kXattrIndexSecurity = 6;
constexpr size_t kMaxCapabilityBytes = 64;  // vfs_ns_cap_data is 24 bytes

struct Image {
  ByteSpan bytes;
  uint64_t block = 0;
  uint64_t meta = 0;    // byte offset of the inode area
  uint64_t shared = 0;  // byte offset of the shared xattr area
};

struct Inode {
  uint16_t mode = 0;
  uint64_t size = 0;
  unsigned layout = 0;
  uint64_t raw_blkaddr = 0;
  uint64_t xattrs = 0;  // byte offset of the inode's xattr area
  uint64_t xattr_size = 0;
  uint64_t tail = 0;  // byte offset right after the inode and its inline xattrs
};

Result<ByteSpan> Slice(const Image& img, uint64_t off, uint64_t len, std::string_view what) {
  uint64_t end = 0;
  if (!CheckedAdd(off, len, &end) || end > img.bytes.size())
    return Errorf(ErrorCode::kCorrupt, "erofs: {} at {} (+{}) is past the image's end", what, off,
                  len);
  return img.bytes.subspan(size_t(off), size_t(len));
}

Result<Inode> ReadInode(const Image& img, uint64_t nid) {
  uint64_t off = 0;
  if (!CheckedMul(nid, kSlot, &off) || !CheckedAdd(off, img.meta, &off))
    return Errorf(ErrorCode::kCorrupt, "erofs: inode {} is out of range", nid);
  HULL_ASSIGN_OR_RETURN(ByteSpan compact, Slice(img, off, 32, "inode"));
  ByteReader r(compact);
  HULL_ASSIGN_OR_RETURN(uint16_t format, r.Le16("i_format"));
  HULL_ASSIGN_OR_RETURN(uint16_t xattr_count, r.Le16("i_xattr_icount"));
  Inode in;
  HULL_ASSIGN_OR_RETURN(in.mode, r.Le16("i_mode"));
  const bool extended = format & 1;
  in.layout = (format >> 1) & 7;
  HULL_TRY(r.Skip(2));
  if (extended) {
    HULL_ASSIGN_OR_RETURN(ByteSpan full, Slice(img, off, 64, "extended inode"));
    ByteReader e(full);
    HULL_TRY(e.Seek(8));
    HULL_ASSIGN_OR_RETURN(in.size, e.Le64("i_size"));
  } else {
    HULL_ASSIGN_OR_RETURN(uint32_t size, r.Le32("i_size"));
    in.size = size;
  }
  HULL_TRY(r.Seek(16));
  HULL_ASSIGN_OR_RETURN(uint32_t raw, r.Le32("i_u"));
  in.raw_blkaddr = raw;
  const uint64_t xattrs = xattr_count == 0 ? 0 : 12 + (uint64_t(xattr_count) - 1) * 4;
  in.xattrs = off + (extended ? 64 : 32);
  in.xattr_size = xattrs;
  in.tail = in.xattrs + xattrs;
  return in;
}

// One xattr entry at `off`: its name index, name and value, and the offset
// after it (entries are 4-byte aligned). A security.capability value is kept.
Result<uint64_t> ReadXattrEntry(const Image& img, uint64_t off, uint64_t end, Bytes& capability) {
  if (off + 4 > end) return Errorf(ErrorCode::kCorrupt, "erofs: xattr entry past its area");
  HULL_ASSIGN_OR_RETURN(ByteSpan head, Slice(img, off, 4, "xattr entry"));
  ByteReader r(head);
  HULL_ASSIGN_OR_RETURN(uint8_t name_len, r.U8("e_name_len"));
  HULL_ASSIGN_OR_RETURN(uint8_t index, r.U8("e_name_index"));
  HULL_ASSIGN_OR_RETURN(uint16_t value_size, r.Le16("e_value_size"));
  const uint64_t len = 4 + uint64_t(name_len) + value_size;
  if (len > end - off) return Errorf(ErrorCode::kCorrupt, "erofs: xattr entry past its area");
  HULL_ASSIGN_OR_RETURN(ByteSpan body, Slice(img, off + 4, len - 4, "xattr entry"));
  const std::string_view name(reinterpret_cast<const char*>(body.data()), name_len);
  if (index == kXattrIndexSecurity && name == "capability") {
    if (value_size > kMaxCapabilityBytes)
      return Errorf(ErrorCode::kCorrupt, "erofs: a {}-byte security.capability", value_size);
    capability.assign(body.begin() + name_len, body.end());
  }
  return off + ((len + 3) & ~uint64_t(3));
}

// The inode's security.capability value, empty when it has none: inline
// entries after the header and its shared ids, and the shared entries the ids
// name (erofs_xattr_ibody_header: h_shared_count u8 at offset 4).
Result<Bytes> ReadCapability(const Image& img, const Inode& in) {
  Bytes cap;
  if (in.xattr_size == 0) return cap;
  if (in.xattr_size < kXattrHeader)
    return Errorf(ErrorCode::kCorrupt, "erofs: xattr area of {} bytes", in.xattr_size);
  HULL_ASSIGN_OR_RETURN(ByteSpan area, Slice(img, in.xattrs, in.xattr_size, "xattr area"));
  const uint64_t shared = area[4];
  if (kXattrHeader + shared * 4 > area.size())
    return Errorf(ErrorCode::kCorrupt, "erofs: {} shared xattr ids past the xattr area", shared);
  ByteReader ids(area.subspan(kXattrHeader, size_t(shared * 4)));
  for (uint64_t k = 0; k < shared; ++k) {
    HULL_ASSIGN_OR_RETURN(uint32_t id, ids.Le32("h_shared_xattrs"));
    const uint64_t at = img.shared + uint64_t(id) * 4;
    HULL_TRY(ReadXattrEntry(img, at, img.bytes.size(), cap));
  }
  const uint64_t end = in.xattrs + in.xattr_size;
  for (uint64_t off = in.xattrs + kXattrHeader + shared * 4; off < end;) {
    HULL_ASSIGN_OR_RETURN(off, ReadXattrEntry(img, off, end, cap));
  }
  return cap;
}

// Block `i` of a directory (flat plain or flat inline).
Result<ByteSpan> DirBlock(const Image& img, const Inode& in, uint64_t i, uint64_t nblocks) {
  const uint64_t len = i + 1 < nblocks ? img.block : in.size - i * img.block;
  if (in.layout == kLayoutFlatInline && i + 1 == nblocks)
    return Slice(img, in.tail, len, "inline directory tail");
  uint64_t off = 0;
  if (!CheckedAdd(in.raw_blkaddr, i, &off) || !CheckedMul(off, img.block, &off))
    return Errorf(ErrorCode::kCorrupt, "erofs: directory block address overflows");
  return Slice(img, off, len, "directory block");
}

struct Walk {
  const Image& img;
  std::vector<ErofsMode>& out;
};

Status WalkDir(Walk& w, const Inode& dir, const std::string& prefix, int depth);

Status WalkBlock(Walk& w, ByteSpan blk, const std::string& prefix, int depth) {
  ByteReader r(blk);
  HULL_TRY(r.Seek(8));
  HULL_ASSIGN_OR_RETURN(uint16_t first, r.Le16("nameoff"));
  if (first < kDirentSize || first % kDirentSize != 0 || first > blk.size())
    return Errorf(ErrorCode::kCorrupt, "erofs: directory '{}': bad first name offset {}", prefix,
                  first);
  const size_t count = first / kDirentSize;
  for (size_t k = 0; k < count; ++k) {
    HULL_TRY(r.Seek(k * kDirentSize));
    HULL_ASSIGN_OR_RETURN(uint64_t nid, r.Le64("nid"));
    HULL_ASSIGN_OR_RETURN(uint16_t nameoff, r.Le16("nameoff"));
    size_t end = blk.size();
    if (k + 1 < count) {
      HULL_TRY(r.Seek((k + 1) * kDirentSize + 8));
      HULL_ASSIGN_OR_RETURN(uint16_t next, r.Le16("nameoff"));
      end = next;
    }
    if (nameoff < first || end > blk.size() || nameoff >= end)
      return Errorf(ErrorCode::kCorrupt, "erofs: directory '{}': bad name offsets {}..{}", prefix,
                    nameoff, end);
    std::string name(reinterpret_cast<const char*>(blk.data()) + nameoff, end - nameoff);
    if (k + 1 == count)
      name.resize(name.find('\0') == std::string::npos ? name.size() : name.find('\0'));
    if (name == "." || name == "..") continue;
    if (name.empty() || name.find('/') != std::string::npos || name.find('\0') != std::string::npos)
      return Errorf(ErrorCode::kCorrupt, "erofs: directory '{}': bad entry name", prefix);
    if (w.out.size() >= kMaxErofsEntries)
      return Errorf(ErrorCode::kCorrupt, "erofs: more than {} paths", kMaxErofsEntries);
    HULL_ASSIGN_OR_RETURN(Inode child, ReadInode(w.img, nid));
    const std::string path = prefix.empty() ? name : prefix + "/" + name;
    HULL_ASSIGN_OR_RETURN(Bytes cap, ReadCapability(w.img, child));
    w.out.push_back({path, child.mode, std::move(cap)});
    if (S_ISDIR(child.mode)) HULL_TRY(WalkDir(w, child, path, depth + 1));
  }
  return Ok();
}

Status WalkDir(Walk& w, const Inode& dir, const std::string& prefix, int depth) {
  if (depth > kMaxErofsDepth)
    return Errorf(ErrorCode::kCorrupt, "erofs: directories nested deeper than {} at '{}'",
                  kMaxErofsDepth, prefix);
  if (dir.layout != kLayoutFlatPlain && dir.layout != kLayoutFlatInline)
    return Errorf(ErrorCode::kUnsupported, "erofs: directory '{}' has data layout {}", prefix,
                  dir.layout);
  if (dir.size > w.img.bytes.size())
    return Errorf(ErrorCode::kCorrupt, "erofs: directory '{}' is larger than the image", prefix);
  const uint64_t nblocks = (dir.size + w.img.block - 1) / w.img.block;
  for (uint64_t i = 0; i < nblocks; ++i) {
    HULL_ASSIGN_OR_RETURN(ByteSpan blk, DirBlock(w.img, dir, i, nblocks));
    HULL_TRY(WalkBlock(w, blk, prefix, depth));
  }
  return Ok();
}

// The superblock's 128 bytes, size and magic checked.
Result<ByteReader> SuperblockReader(ByteSpan bytes) {
  if (bytes.size() < kSuperblockOffset + 128)
    return Errorf(ErrorCode::kCorrupt, "erofs: {} bytes is too short for a superblock",
                  bytes.size());
  ByteReader sb(bytes.subspan(kSuperblockOffset, 128));
  HULL_ASSIGN_OR_RETURN(uint32_t magic, sb.Le32("magic"));
  if (magic != kMagic)
    return Errorf(ErrorCode::kCorrupt, "erofs: bad magic {:#010x} (not an erofs image)", magic);
  return sb;
}

}  // namespace

Result<ErofsSuperblock> ReadErofsSuperblock(ByteSpan bytes) {
  HULL_ASSIGN_OR_RETURN(ByteReader sb, SuperblockReader(bytes));
  ErofsSuperblock out;
  HULL_TRY(sb.Seek(0x30));
  HULL_ASSIGN_OR_RETURN(ByteSpan uuid, sb.Take(16, "uuid"));
  out.uuid = Uuid::FromBytes(uuid);
  HULL_TRY(sb.Seek(0x50));
  HULL_ASSIGN_OR_RETURN(uint32_t incompat, sb.Le32("feature_incompat"));
  HULL_ASSIGN_OR_RETURN(uint16_t u1, sb.Le16("available_compr_algs"));
  if (!(incompat & kIncompatComprCfgs)) {
    out.lz4 = incompat & kIncompatZeroPadding;
    return out;
  }
  if (u1 & ~kAlgLz4)
    return Errorf(ErrorCode::kUnsupported,
                  "erofs: compressed with algorithms {:#06x} (only LZ4, bit 0x0001, is re-packed)",
                  u1);
  out.lz4 = u1 & kAlgLz4;
  return out;
}

Result<std::vector<ErofsMode>> ReadErofsModes(ByteSpan bytes) {
  HULL_ASSIGN_OR_RETURN(ByteReader sb, SuperblockReader(bytes));
  HULL_TRY(sb.Seek(0x0C));
  HULL_ASSIGN_OR_RETURN(uint8_t blkszbits, sb.U8("blkszbits"));
  if (blkszbits < 9 || blkszbits > 16)
    return Errorf(ErrorCode::kCorrupt, "erofs: block size 2^{} is out of range", blkszbits);
  HULL_TRY(sb.Seek(0x0E));
  HULL_ASSIGN_OR_RETURN(uint16_t root_nid, sb.Le16("root_nid"));
  HULL_TRY(sb.Seek(0x28));
  HULL_ASSIGN_OR_RETURN(uint32_t meta_blkaddr, sb.Le32("meta_blkaddr"));
  HULL_ASSIGN_OR_RETURN(uint32_t xattr_blkaddr, sb.Le32("xattr_blkaddr"));
  Image img{bytes, uint64_t(1) << blkszbits, uint64_t(meta_blkaddr) << blkszbits,
            uint64_t(xattr_blkaddr) << blkszbits};
  HULL_ASSIGN_OR_RETURN(Inode root, ReadInode(img, root_nid));
  if (!S_ISDIR(root.mode)) return Errorf(ErrorCode::kCorrupt, "erofs: the root is not a directory");
  HULL_ASSIGN_OR_RETURN(Bytes root_cap, ReadCapability(img, root));
  std::vector<ErofsMode> out{{"", root.mode, std::move(root_cap)}};
  Walk w{img, out};
  HULL_TRY(WalkDir(w, root, "", 0));
  return out;
}

}  // namespace hull::rootfs
