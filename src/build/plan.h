// The pure parts of `hull build` (docs/build.md): names, derived salts and
// UUIDs, the kernel command line, partition sizes and the disk layout of
// DESIGN.md ("Disk layout"). Everything here is a function of its inputs, so
// two builds of the same spec and version agree byte for byte.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/uuid.h"
#include "disk/layout.h"
#include "gpt/types.h"
#include "spec/spec.h"

namespace hull::build {

// The stages, in order (progress lines and manifest.json use these names).
// The root comes before the UKI: its digest is on the UKI's command line.
inline constexpr const char* kStageNames[] = {"compose", "pack", "seal", "initrd", "root",
                                              "uki",     "esp",  "disk", "record"};

// SHA-256("hull-verity-salt\0" name "\0" version): the dm-verity salt.
Bytes VeritySalt(const std::string& name, const std::string& version);
// The verity superblock UUID: SHA-256("hull-verity-uuid\0" name "\0" version),
// first 16 bytes with RFC 9562 version 8 and variant bits.
Uuid VeritySuperblockUuid(const std::string& name, const std::string& version);
// The root filesystem UUID (ext4 UUID and hash seed), derived likewise from
// "hull-root-uuid".
Uuid RootFilesystemUuid(const std::string& name, const std::string& version);
// The disk layout seed: "<name>-<version>".
std::string LayoutSeed(const std::string& name, const std::string& version);

// SOURCE_DATE_EPOCH for a version "YYYYMM.DD.N": midnight UTC of that date.
// kInvalidArgument for a malformed version.
Result<int64_t> SourceDateEpochForVersion(const std::string& version);

// Seconds from a kernel panic to the reset (panic=): a panic before
// userspace (an initrd that cannot run, PID 1 exiting) then spends one of the
// entry's boot tries instead of stopping the machine for good (docs/init.md).
inline constexpr int kPanicRebootSeconds = 5;

// The UKI command line: "usrhash=<hex> hull.roottemplate=<hex>
// mount.usrfstype=erofs mount.usrflags=ro rw lockdown=integrity panic=5"
// (hull.roottemplate=: the SHA-256 of the root partition's bytes, which an
// install medium carries as its root template; docs/iso.md), console=ttyS0
// unless the spec names a console,
// the spec's kernel.cmdline (a panic= there comes later, so it wins), then the
// SELinux settings (enforcing: "security=selinux
// selinux=1 enforcing=1"; permissive: enforcing=0; disabled: "selinux=0").
// Repeated words are dropped (first kept).
std::string KernelCmdline(const spec::ImageSpec& spec, const std::string& root_hash_hex,
                          const std::string& root_template_hex);

// "hull_<version>+<tries>.efi": the UKI file name with boot counting (the
// spec's update.boot_tries; three by default).
std::string UkiFileName(const std::string& version, uint32_t tries = 3);
// "<name>_<version>": the stem of output file names.
std::string OutputStem(const spec::ImageSpec& spec);

inline constexpr uint64_t kMiB = 1 << 20;
inline constexpr uint64_t kMinEspBytes = 64 * kMiB;       // FAT32 needs >= 32 MiB
inline constexpr uint64_t kDefaultRootBytes = 64 * kMiB;  // grown on first boot
inline constexpr uint64_t kSignaturePartitionBytes = 1 * kMiB;

// The root partition's size: the spec's in whole MiB, else kDefaultRootBytes.
// A function of the spec alone, so the root is made before the ESP.
uint64_t RootBytes(const spec::Partitions& spec_sizes);

struct PartitionSizes {
  uint64_t esp = 0, usr = 0, verity = 0, signature = 0, root = 0;
};

// Sizes from content: usr = the spec's, else the erofs image + 25% headroom
// (a later, bigger release still fits slot B), in whole MiB; verity = the
// hash tree (with superblock) for a full usr partition, whole MiB; ESP = the
// spec's, else max(64 MiB, 2 x esp_content + 16 MiB) (room for slot B's UKI).
// kInvalidArgument when a spec size is smaller than its content.
Result<PartitionSizes> ComputeSizes(const spec::Partitions& spec_sizes, uint64_t erofs_bytes,
                                    uint64_t esp_content_bytes);

struct LayoutInputs {
  std::string name, version;
  PartitionSizes sizes;
  std::string esp_dir;    // the ESP tree (made into FAT32)
  std::string usr_image;  // erofs
  std::string verity_image;
  std::string signature_image;
  std::string root_image;  // ext4
  ByteSpan root_hash;
  gpt::Arch arch = gpt::Arch::kX86_64;  // the DPS types of usr, usr-verity(-sig), root
};

// The DPS architecture of a spec's Debian one (amd64 -> x86-64, arm64 -> arm64);
// kInvalidArgument otherwise.
Result<gpt::Arch> GptArchOf(std::string_view debian_arch);

// The EFI programs of a spec's architecture: Debian's systemd-boot and
// systemd-stub on the build host (systemd-boot-efi; systemd-boot-efi:arm64
// for arm64, installed beside amd64's), and the removable-media path the ESP
// boots systemd-boot from (UEFI 2.10, 3.5.1.1: BOOTX64.EFI, BOOTAA64.EFI).
// kInvalidArgument for another architecture.
struct EfiFiles {
  std::string systemd_boot;
  std::string systemd_stub;
  std::string boot_path;  // "/EFI/BOOT/BOOTX64.EFI"
};
Result<EfiFiles> EfiFilesOf(std::string_view debian_arch);

// The DESIGN.md layout: ESP, usr A (+ verity + sig, DPS UUIDs from the root
// hash, read-only), slot B reserved at the same sizes labelled "_empty", root
// (grow-fs). Errors: those of gpt::DpsVerityUuids.
Result<disk::Layout> BuildLayout(const LayoutInputs& in);

// Directories the writable root holds at first boot (mount points and the
// state directories; /bin, /sbin, /lib, /lib64 are links into /usr).
const std::vector<std::string>& RootDirectories();

}  // namespace hull::build
