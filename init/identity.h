// The OS disk's identity per node (docs/init.md "Disk identity"). An image
// carries the disk GUID and partition UUIDs its build derived, so every
// node's disk, and every byte-identical copy of it (the image attached twice,
// a snapshot), starts with the same ones, and LoaderDevicePartUUID cannot
// tell the copies apart. At its first boot from a disk hull-init gives it
// its own: a random disk GUID, and ESP and root partition UUIDs derived from
// it, so that the disk itself shows it has been through this (a stateless
// mark, written in the same crash-safe GPT rewrite as root growth). The usr
// and usr-verity UUIDs are never changed: they are the root hash's
// (REFERENCE.md §3.1), and hull-init finds /usr by them.
#pragma once

#include <cstdint>

#include "base/uuid.h"
#include "gpt/gpt.h"

namespace hull::init {

// The UUID of partition `number` on a disk whose GUID is `disk_guid`: the
// first 16 bytes of SHA-256("hull-node-disk\0" || disk GUID bytes || number
// as 4 bytes little-endian), as a version 4, variant 1 UUID (RFC 9562 §5.4).
Uuid NodePartitionUuid(const Uuid& disk_guid, uint32_t number);

// True when every ESP of `table` and its partition `root_number` carry
// the UUIDs NodePartitionUuid derives from its disk GUID: the disk has been
// given its identity.
bool HasNodeIdentity(const gpt::Table& table, uint32_t root_number);

// `table` with disk GUID `disk_guid` (random, from the caller) and each ESP's
// and partition `root_number`'s UUID derived from it; other partitions are
// kept as they are.
gpt::Table WithNodeIdentity(const gpt::Table& table, uint32_t root_number, const Uuid& disk_guid);

// 16 random bytes as a version 4, variant 1 UUID.
Uuid RandomUuid(ByteSpan sixteen);

}  // namespace hull::init
