// The install medium (docs/iso.md): what `hull disk iso` writes and the node
// (hull-init's live boot, `hull-agent install`) reads back. The medium holds
// the image's ESP and its A slot (usr, usr-verity, usr-verity-sig) with their
// UUIDs unchanged, and the image's root file system as a template for the
// installer, typed linux-generic so that nothing (hull-init's DPS search,
// systemd-gpt-auto) takes it for a root: a live boot keeps its state on tmpfs.
#pragma once

#include <cstdint>

namespace hull::node {

// The GPT name of the root template partition on the medium.
inline constexpr const char* kMediumRootLabel = "hull-root-image";
// Its type, a gpt::ParseType name.
inline constexpr const char* kMediumRootType = "linux-generic";
// An install seed (docs/iso.md "The seed"): a GPT partition of this name,
// on the medium (`hull disk iso --seed`) or on another disk, whose bytes are
// the seed's JSON ended by the first NUL byte or the partition's end; at
// most kMaxSeedBytes are read.
inline constexpr const char* kSeedPartitionName = "hull-seed";
inline constexpr uint64_t kMaxSeedBytes = 64 << 10;
// hull-init's dm-linear devices over an optical drive's partitions are
// named this and the role ("hull-medium-usr").
inline constexpr const char* kMediumDmPrefix = "hull-medium-";
// hull-init creates this file on every live boot (optical drive or USB
// stick) before it switches root (/run moves along); the agent knows a live
// boot by it and by nothing else.
inline constexpr const char* kLiveBootMarker = "/run/hull/live";

}  // namespace hull::node
