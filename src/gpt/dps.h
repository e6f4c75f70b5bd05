// The DPS rule that ties a verity root hash to its partitions (Discoverable
// Partitions Specification, "Partition Names"/verity section; REFERENCE.md
// §3.1): the data (usr or root) partition's UUID is the first 128 bits of the
// root hash, the verity partition's UUID the last 128 bits, the raw hash
// bytes read as a UUID in text (big-endian) order. systemd-dissect and
// systemd-gpt-auto-generator find a verity pair this way; so do hull-init,
// the installer, the slot reader and `hull inspect`.
#pragma once

#include "base/bytes.h"
#include "base/result.h"
#include "base/uuid.h"

namespace hull::gpt {

struct VerityUuids {
  Uuid data;    // the usr (or root) partition
  Uuid verity;  // its usr-verity (root-verity) partition
};

// The partition UUIDs of a root hash. kInvalidArgument for fewer than 32
// bytes (a SHA-256 root hash or longer; the verity UUID is always the last
// 16 bytes).
Result<VerityUuids> DpsVerityUuids(ByteSpan root_hash);

// The inverse for a 32-byte (SHA-256) root hash, the only length the two
// UUIDs spell completely: data UUID bytes followed by verity UUID bytes.
Bytes RootHashOfVerityUuids(const VerityUuids& uuids);

}  // namespace hull::gpt
