// Packs /usr as an erofs image with mkfs.erofs (erofs-utils 1.5),
// deterministically: every timestamp is SOURCE_DATE_EPOCH (-T), the UUID is
// derived from the image name and version (-U), files are owned by root
// (--all-root), SELinux labels come from a file_contexts (--file-contexts).
// Two packs of the same tree give the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/uuid.h"

namespace hull::rootfs {

struct ErofsOptions {
  std::string source_dir;  // the tree's usr/
  std::string output;      // the image file (replaced atomically)
  int64_t timestamp = 0;   // SOURCE_DATE_EPOCH
  Uuid uuid;
  std::string file_contexts;  // empty: no labels
  bool lz4hc = false;
};

// A name-based UUID: SHA-256("hull-usr-erofs\0" name "\0" version), first 16
// bytes, RFC 9562 version 8 and variant bits.
Uuid UsrFilesystemUuid(const std::string& name, const std::string& version);

std::vector<std::string> BuildMkfsErofsArgv(const ErofsOptions& o, const std::string& output);

// Runs mkfs.erofs into a temp file next to o.output and renames it over o.output.
Status PackErofs(const ErofsOptions& o);

}  // namespace hull::rootfs
