#include "gpt/types.h"

#include <array>
#include <string>

namespace hull::gpt {
namespace {

using enum Role;
constexpr Arch kAny = Arch::kAny, kX64 = Arch::kX86_64, kA64 = Arch::kArm64;

// DPS §"Defined Partition Type UUIDs" (REFERENCE.md §3.1); Flatcar/CoreOS,
// ChromeOS and Bottlerocket from REFERENCE.md §2.4; BIOS boot from UEFI/GRUB.
constexpr std::array kTypes{
    PartitionType{"esp", "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", kEsp, kAny, true, "EFI System"},
    PartitionType{"xbootldr", "bc13c2ff-59e6-4262-a352-b275fd6f7172", kXbootldr, kAny, true,
                  "Extended Boot Loader"},
    PartitionType{"root-x86-64", "4f68bce3-e8cd-4db1-96e7-fbcaf984b709", kRoot, kX64, true,
                  "Root (x86-64)"},
    PartitionType{"root-arm64", "b921b045-1df0-41c3-af44-4c6f280d3fae", kRoot, kA64, true,
                  "Root (arm64)"},
    PartitionType{"usr-x86-64", "8484680c-9521-48c6-9c11-b0720656f69e", kUsr, kX64, true,
                  "/usr (x86-64)"},
    PartitionType{"usr-arm64", "b0e01050-ee5f-4390-949a-9101b17104e9", kUsr, kA64, true,
                  "/usr (arm64)"},
    PartitionType{"root-x86-64-verity", "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5", kRootVerity, kX64,
                  true, "Root verity (x86-64)"},
    PartitionType{"root-arm64-verity", "df3300ce-d69f-4c92-978c-9bfb0f38d820", kRootVerity, kA64,
                  true, "Root verity (arm64)"},
    PartitionType{"usr-x86-64-verity", "77ff5f63-e7b6-4633-acf4-1565b864c0e6", kUsrVerity, kX64,
                  true, "/usr verity (x86-64)"},
    PartitionType{"usr-arm64-verity", "6e11a4e7-fbca-4ded-b9e9-e1a512bb664e", kUsrVerity, kA64,
                  true, "/usr verity (arm64)"},
    PartitionType{"root-x86-64-verity-sig", "41092b05-9fc8-4523-994f-2def0408b176", kRootVeritySig,
                  kX64, true, "Root verity signature (x86-64)"},
    PartitionType{"root-arm64-verity-sig", "6db69de6-29f4-4758-a7a5-962190f00ce3", kRootVeritySig,
                  kA64, true, "Root verity signature (arm64)"},
    PartitionType{"usr-x86-64-verity-sig", "e7bb33fb-06cf-4e81-8273-e543b413e2e2", kUsrVeritySig,
                  kX64, true, "/usr verity signature (x86-64)"},
    PartitionType{"usr-arm64-verity-sig", "c23ce4ff-44bd-4b00-b2d4-b41b3419e02a", kUsrVeritySig,
                  kA64, true, "/usr verity signature (arm64)"},
    PartitionType{"swap", "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f", kSwap, kAny, true, "Swap"},
    PartitionType{"home", "933ac7e1-2eb4-4f13-b844-0e14e2aef915", kHome, kAny, true, "/home"},
    PartitionType{"srv", "3b8f8425-20e0-4f3b-907f-1a25a76f98e8", kSrv, kAny, true, "/srv"},
    PartitionType{"var", "4d21b016-b534-45c2-a9fb-5c16e091fd2d", kVar, kAny, true, "/var"},
    PartitionType{"tmp", "7ec6f557-3bc5-4aca-b293-16ef5df639d1", kTmp, kAny, true, "/var/tmp"},
    PartitionType{"user-home", "773f91ef-66d4-49b5-bd83-d683bf40ad16", kUserHome, kAny, true,
                  "Per-user home"},
    PartitionType{"linux-generic", "0fc63daf-8483-4772-8e79-3d69d8477de4", kLinuxGeneric, kAny,
                  true, "Linux filesystem"},
    PartitionType{"bios-boot", "21686148-6449-6e6f-744e-656564454649", kBiosBoot, kAny, false,
                  "BIOS boot"},
    PartitionType{"flatcar-usr", "5dfbf5f4-2848-4bac-aa5e-0d9a20b745a6", kFlatcarUsr, kAny, false,
                  "Flatcar/CoreOS /usr (coreos-rootfs)"},
    PartitionType{"flatcar-resize", "3884dd41-8582-4404-b9a8-e9b84f2df50e", kFlatcarResize, kAny,
                  false, "Flatcar/CoreOS root, auto-resize"},
    PartitionType{"flatcar-reserved", "c95dc21a-df0e-4340-8d7b-26cbfa9a03e0", kFlatcarReserved,
                  kAny, false, "Flatcar/CoreOS reserved (OEM-CONFIG)"},
    PartitionType{"flatcar-root-raid", "be9067b9-ea49-4f15-b4f6-f36f8c9e1818", kFlatcarRootRaid,
                  kAny, false, "Flatcar/CoreOS RAID containing root"},
    PartitionType{"chromeos-kernel", "fe3a2a5d-4f32-41a7-b725-accc3285a309", kChromeOsKernel, kAny,
                  false, "ChromeOS kernel"},
    PartitionType{"chromeos-rootfs", "3cb8e202-3b7e-47dd-8a3c-7ff2a13cfcec", kChromeOsRootfs, kAny,
                  false, "ChromeOS rootfs"},
    PartitionType{"chromeos-firmware", "cab6e88e-abf3-4102-a07a-d4bb9be3c1d3", kChromeOsFirmware,
                  kAny, false, "ChromeOS firmware"},
    PartitionType{"chromeos-reserved", "2e0a753d-9e48-43b0-8337-b15192cb1b5e", kChromeOsReserved,
                  kAny, false, "ChromeOS reserved"},
    PartitionType{"bottlerocket-boot", "6b636168-7420-6568-2070-6c616e657421", kBottlerocketBoot,
                  kAny, false, "Bottlerocket BOOT"},
    PartitionType{"bottlerocket-root", "5526016a-1a97-4ea4-b39a-b7c8c6ca4502", kBottlerocketRoot,
                  kAny, false, "Bottlerocket ROOT"},
    PartitionType{"bottlerocket-hash", "598f10af-c955-4456-6a99-7720068a6cea", kBottlerocketHash,
                  kAny, false, "Bottlerocket HASH"},
};

// Aliases accepted on input (cgpt / Flatcar spellings); output uses the names above.
struct Alias {
  std::string_view alias, name;
};
constexpr std::array kAliases{
    Alias{"coreos-usr", "flatcar-usr"},           Alias{"coreos-rootfs", "flatcar-usr"},
    Alias{"flatcar-rootfs", "flatcar-usr"},       Alias{"coreos-resize", "flatcar-resize"},
    Alias{"coreos-reserved", "flatcar-reserved"}, Alias{"coreos-root-raid", "flatcar-root-raid"},
};

const PartitionType* FindName(std::string_view name) {
  for (const auto& t : kTypes)
    if (t.name == name) return &t;
  for (const auto& a : kAliases)
    if (a.alias == name) return FindName(a.name);
  return nullptr;
}

std::string AllowedNames() {
  std::string s = "root, usr, root-verity, usr-verity, root-verity-sig, usr-verity-sig";
  for (const auto& t : kTypes) s += ", " + std::string(t.name);
  return s;
}

}  // namespace

std::span<const PartitionType> AllPartitionTypes() { return kTypes; }

const PartitionType* LookupTypeGuid(const Uuid& guid) {
  std::string text = guid.ToString();
  for (const auto& t : kTypes)
    if (t.guid == text) return &t;
  return nullptr;
}

Result<const PartitionType*> LookupTypeName(std::string_view name, Arch native) {
  if (const PartitionType* t = FindName(name)) return t;
  // Unqualified DPS names: "usr-verity" -> "usr-<arch>-verity".
  for (std::string_view base : {"root", "usr"}) {
    if (!name.starts_with(base)) continue;
    std::string_view rest = name.substr(base.size());
    if (!rest.empty() && rest != "-verity" && rest != "-verity-sig") continue;
    if (native == Arch::kAny) break;
    std::string full = std::string(base) + "-" + std::string(ArchName(native)) + std::string(rest);
    if (const PartitionType* t = FindName(full)) return t;
  }
  return Errorf(ErrorCode::kInvalidArgument,
                "unknown partition type '{}' (allowed: a GUID, or one of: {})", name,
                AllowedNames());
}

Result<Uuid> ParseType(std::string_view text, Arch native) {
  if (text.size() == 36 && text[8] == '-') {
    auto u = Uuid::Parse(text);
    if (u.ok()) return u;
  }
  HULL_ASSIGN_OR_RETURN(const PartitionType* t, LookupTypeName(text, native));
  return Uuid::Parse(t->guid);
}

Result<Arch> ParseArch(std::string_view text) {
  if (text == "x86-64") return Arch::kX86_64;
  if (text == "arm64") return Arch::kArm64;
  return Errorf(ErrorCode::kInvalidArgument, "unknown architecture '{}' (allowed: x86-64, arm64)",
                text);
}

std::string_view ArchName(Arch arch) {
  switch (arch) {
    case Arch::kX86_64:
      return "x86-64";
    case Arch::kArm64:
      return "arm64";
    case Arch::kAny:
      return "any";
  }
  return "any";
}

std::string_view DpsDesignator(Role role) {
  switch (role) {
    case kEsp:
      return "esp";
    case kXbootldr:
      return "xbootldr";
    case kRoot:
      return "root";
    case kUsr:
      return "usr";
    case kRootVerity:
      return "root-verity";
    case kUsrVerity:
      return "usr-verity";
    case kRootVeritySig:
      return "root-verity-sig";
    case kUsrVeritySig:
      return "usr-verity-sig";
    case kSwap:
      return "swap";
    case kHome:
      return "home";
    case kSrv:
      return "srv";
    case kVar:
      return "var";
    case kTmp:
      return "tmp";
    case kUserHome:
      return "user-home";
    case kLinuxGeneric:
      return "linux-generic";
    default:
      return "";
  }
}

}  // namespace hull::gpt
