// The modes of every path in an erofs image, read from its metadata only
// (superblock, inodes, directory blocks; file data, compressed or not, is
// never read). `hull customize` extracts a /usr image with fsck.erofs
// --extract, which in erofs-utils 1.5 drops the setuid, setgid and sticky
// bits and every xattr; this walk gives back the bits and the file
// capabilities (security.capability, inline or shared xattr entries:
// erofs_xattr_ibody_header 12 bytes, h_shared_count u8 at offset 4, then
// le32 ids into the shared area at xattr_blkaddr (superblock off 0x2C) * block,
// then inline erofs_xattr_entry {name_len u8, name_index u8 (6: security),
// value_size le16, name, value}, each padded to 4 bytes).
//
// Layout (linux/fs/erofs/erofs_fs.h): superblock at byte 1024 (magic
// 0xE0F5E1E2 off 0x00, blkszbits off 0x0C, root_nid off 0x0E, meta_blkaddr
// off 0x28); inode NID at meta_blkaddr * block + NID * 32, compact (32 bytes)
// or extended (64 bytes) by bit 0 of i_format, data layout in bits 1-3
// (directories: 0 flat plain or 2 flat inline, the tail block after the
// inode and its inline xattrs); a directory block holds 12-byte dirents
// (nid le64, nameoff le16, file_type u8, reserved u8) then the names.
// Checked in this order: size, magic, block size, ranges, then each inode
// and block as it is reached; kCorrupt names what is wrong, kUnsupported a
// directory layout this reader does not know.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/uuid.h"

namespace hull::rootfs {

inline constexpr size_t kMaxErofsEntries = size_t(1) << 21;  // paths in one image
inline constexpr int kMaxErofsDepth = 128;                   // nested directories

struct ErofsMode {
  std::string path;   // relative to the image's root, "" for the root itself
  uint16_t mode = 0;  // st_mode: type and permission bits
  Bytes capability;   // the security.capability xattr's value, empty without one
};

// Every path, depth first in directory order (names sorted, as erofs stores them).
Result<std::vector<ErofsMode>> ReadErofsModes(ByteSpan image);

// What a re-pack keeps of an image's superblock: uuid[16] off 0x30;
// feature_incompat le32 off 0x50 (bit 0 ZERO_PADDING, bit 1 COMPR_CFGS);
// off 0x54 le16, available_compr_algs with COMPR_CFGS (bit 0 LZ4, bit 1
// LZMA, bit 2 DEFLATE, bit 3 ZSTD), else lz4_max_distance.
struct ErofsSuperblock {
  Uuid uuid;
  // Compressed with LZ4: COMPR_CFGS with exactly the LZ4 bit, or, without
  // COMPR_CFGS (where LZ4 is the one algorithm), ZERO_PADDING, which
  // mkfs.erofs sets when it compresses. LZ4 and LZ4HC write the same format,
  // so which of the two made the image cannot be read back.
  bool lz4 = false;
};
// `image` from its start, at least 1024 + 128 bytes. kCorrupt: too short or
// a bad magic; kUnsupported: compressed with an algorithm other than LZ4.
Result<ErofsSuperblock> ReadErofsSuperblock(ByteSpan image);

}  // namespace hull::rootfs
