// GPT partition type GUIDs: the Discoverable Partitions Specification (DPS,
// uapi-group.org/specifications/specs/discoverable_partitions_specification)
// for x86-64 and arm64, plus the Flatcar/CoreOS, ChromeOS and Bottlerocket
// types (REFERENCE.md §2.4) so their disks can be read.
//
// ONE table, looked up both ways (GUID -> entry, name -> entry). Names follow
// systemd-repart's `Type=` spelling: "esp", "root-x86-64", "usr-arm64-verity",
// "usr-x86-64-verity-sig", "linux-generic", ... The unqualified DPS names
// "root", "usr", "root-verity", "usr-verity-sig", ... resolve for the native
// architecture given to LookupTypeName().
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "base/result.h"
#include "base/uuid.h"

namespace hull::gpt {

enum class Arch { kAny, kX86_64, kArm64 };

// The architecture this code is compiled for: the node programs (hull-init,
// hull-agent) look for the DPS partitions of their own architecture.
#if defined(__x86_64__)
inline constexpr Arch kNativeArch = Arch::kX86_64;
#elif defined(__aarch64__)
inline constexpr Arch kNativeArch = Arch::kArm64;
#else
inline constexpr Arch kNativeArch = Arch::kAny;
#endif

// What a partition is for (the DPS designator where there is one).
enum class Role {
  kEsp,
  kXbootldr,
  kRoot,
  kUsr,
  kRootVerity,
  kUsrVerity,
  kRootVeritySig,
  kUsrVeritySig,
  kSwap,
  kHome,
  kSrv,
  kVar,
  kTmp,
  kUserHome,
  kLinuxGeneric,
  kBiosBoot,
  kFlatcarUsr,
  kFlatcarResize,
  kFlatcarReserved,
  kFlatcarRootRaid,
  kChromeOsKernel,
  kChromeOsRootfs,
  kChromeOsFirmware,
  kChromeOsReserved,
  kBottlerocketBoot,
  kBottlerocketRoot,
  kBottlerocketHash,
};

struct PartitionType {
  std::string_view name;  // systemd-repart style name, unique in the table
  std::string_view guid;  // lowercase text form, unique in the table
  Role role;
  Arch arch;
  bool dps;  // defined by the DPS (systemd-dissect understands it)
  std::string_view description;
};

// The whole table (for listings and the consistency test).
std::span<const PartitionType> AllPartitionTypes();

// By GUID; nullptr when the type is not in the table.
const PartitionType* LookupTypeGuid(const Uuid& guid);
// By name ("esp", "usr-x86-64-verity", or an unqualified DPS name such as
// "usr-verity" resolved for `native`). kInvalidArgument names the allowed values.
Result<const PartitionType*> LookupTypeName(std::string_view name, Arch native = Arch::kX86_64);
// A type given as a GUID or a name: the GUID (a GUID need not be in the table).
Result<Uuid> ParseType(std::string_view text, Arch native = Arch::kX86_64);
// "x86-64" / "arm64".
Result<Arch> ParseArch(std::string_view text);
std::string_view ArchName(Arch arch);
// The DPS designator ("root", "usr-verity", "esp", ...) or "" when none.
std::string_view DpsDesignator(Role role);

}  // namespace hull::gpt
