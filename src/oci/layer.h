// Reproducible OCI layers (image-spec 1.1 layer.md): a tar of a tree, the same
// bytes for the same content whatever the host did to it.
//
//  - entries sorted by path (byte order), each parent before its children;
//  - mtimes clamped to SOURCE_DATE_EPOCH, no atime/ctime, numeric owners
//    (no user or group names), pax extended headers only when a field does
//    not fit ustar (long names, big sizes);
//  - files sharing an inode are written once, the others as hard links;
//  - gzip with a zero header mtime and fixed level (zlib's own framing, so
//    the same zlib gives the same bytes), or zstd at a fixed level.
// The diff_id is the SHA-256 of the uncompressed tar, the digest that of the
// blob as stored.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace hull::oci {

enum class Compression { kNone, kGzip, kZstd };
// "gzip", "zstd" or "none"; kInvalidArgument for another name.
Result<Compression> ParseCompression(std::string_view name);
std::string_view CompressionName(Compression c);
// application/vnd.oci.image.layer.v1.tar[+gzip|+zstd].
std::string LayerMediaType(Compression c);

struct LayerEntry {
  enum class Type { kFile, kDir, kSymlink, kHardlink };
  std::string path;  // relative, '/'-separated, no leading "./" or '/'
  Type type = Type::kFile;
  uint32_t mode = 0644;  // permission bits (with setuid/setgid/sticky)
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime = 0;
  std::string source;  // kFile: the host file read when written ("" = data)
  Bytes data;          // kFile without source
  std::string link;    // kSymlink target, or the kHardlink's first path
};

// Every entry below `root` (root itself excluded), sorted, with lstat's
// modes, owners and mtimes; a second name of an inode becomes a kHardlink
// to the first in sorted order. Sockets and devices are refused
// (kUnsupported naming the path).
Result<std::vector<LayerEntry>> TreeEntries(const std::string& root);

// The uncompressed tar of `entries` (sorted here), mtimes clamped to
// `source_date_epoch`. kNotFound for a missing source, kIo, kInternal from
// libarchive.
Result<Bytes> Tar(std::vector<LayerEntry> entries, int64_t source_date_epoch);

// Deterministic compression of a whole buffer.
Result<Bytes> Gzip(ByteSpan data);
Result<Bytes> Zstd(ByteSpan data);

struct Layer {
  Bytes blob;  // as stored in blobs/
  std::string media_type;
  std::string diff_id;  // "sha256:<hex>" of the uncompressed tar
  uint64_t uncompressed_size = 0;
};
Result<Layer> MakeLayer(const Bytes& tar, Compression compression);

}  // namespace hull::oci
