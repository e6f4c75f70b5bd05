// The size of a live boot's / (docs/iso.md): the medium's root template is
// copied into a sparse file on /run (a tmpfs, so in memory) and grown to the
// file. Pure: the memory figure comes from /proc/meminfo, the digests from
// the command line and the copy.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace hull::init {

// The live root's size when memory allows: room for a node's state.
inline constexpr uint64_t kLiveRootBytes = uint64_t(1) << 30;
// The live root takes at most MemTotal / kLiveRootMemoryShare: the kernel's
// default size of the /run tmpfs it is on is half of memory.
inline constexpr uint64_t kLiveRootMemoryShare = 2;

// MemTotal of /proc/meminfo ("MemTotal:  2030580 kB"), in bytes. kCorrupt
// when the line is missing or malformed.
Result<uint64_t> ParseMemTotal(std::string_view meminfo);

// The live root file's size: max(template, kLiveRootBytes), capped at
// MemTotal / kLiveRootMemoryShare. kRefused when the template alone is
// larger than the cap (the machine has too little memory for a live boot).
Result<uint64_t> LiveRootBytes(uint64_t template_bytes, uint64_t mem_total_bytes);

// The template's binding to the signed UKI (docs/iso.md): `expected` is the
// command line's hull.roottemplate= (empty when absent), `actual` the
// SHA-256 of the template's bytes as they were copied into memory.
//   kRefused "hull.roottemplate= missing from the kernel command line: ..."
//   kVerifyFailed "the install medium's root template (hull-root-image) has
//   SHA-256 X, the signed command line's hull.roottemplate= says Y: ..."
// The first is also checked before the copy (`actual` empty: only presence).
Status CheckRootTemplate(ByteSpan expected, ByteSpan actual);

}  // namespace hull::init
