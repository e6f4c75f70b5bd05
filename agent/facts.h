// Pure parsers of what the running node exposes (/proc, /sys, efivars,
// systemd tools' output), used by `hull-agent validate`. No I/O here, so each
// is unit-tested on the host with captured text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace hull::agent {

struct MountEntry {
  std::string mount_point, fstype, source, options;  // options: per-mount + super
};

// /proc/self/mountinfo (proc(5)): one entry per line, octal escapes decoded.
// Malformed lines are kCorrupt naming the line number.
Result<std::vector<MountEntry>> ParseMountInfo(std::string_view text);

// The last entry mounted on `mount_point` (the one visible), if any.
std::optional<MountEntry> FindMount(const std::vector<MountEntry>& mounts,
                                    std::string_view mount_point);

// /sys/kernel/security/lockdown: "none [integrity] confidentiality" -> "integrity".
Result<std::string> ParseLockdown(std::string_view text);

// An efivarfs file: 4 bytes of attributes, then the value. The SecureBoot
// variable's value is one byte, 1 when enabled.
Result<bool> ParseSecureBootVariable(ByteSpan contents);

// The dm-verity table parameters (dm-verity.rst "Construction Parameters"):
// "<version> <dev> <hash_dev> <data_bs> <hash_bs> <blocks> <hash_start> <alg>
// <root_hash> <salt> [opt...]" -> the root hash (lower-case hex).
Result<std::string> VerityTableRootHash(std::string_view params);

// /proc/meminfo -> bytes in use (MemTotal - MemAvailable).
Result<uint64_t> MemoryInUse(std::string_view meminfo);

// /proc/net/route (the kernel's IPv4 routing table: a header line, then
// "Iface Destination Gateway Flags ..." with addresses as 8 hex digits in the
// kernel's byte order, little-endian on every Hull architecture) -> the
// default route's gateway, dotted ("10.88.0.1"). kNotFound without one.
Result<std::string> DefaultGateway(std::string_view proc_net_route);

// `systemd-analyze time` first line "Startup finished in ... = 12.345s" ->
// seconds of the total ("1min 2.5s" forms included).
Result<double> ParseStartupSeconds(std::string_view text);

// /etc/machine-id (machine-id(5)): 32 lower-case hex digits, then a
// newline. Anything else (empty, "uninitialized", garbage) is "": a node
// without a machine id takes part in no partial rollout, rather than in all.
std::string ParseMachineId(std::string_view text);

// The disk the agent reads and updates, from the disks whose GPT holds the
// booted usr partition (`holders`) and the disks under /dev/mapper/usr
// (`backing`: the parent disks of its device-mapper slaves; empty when
// unknown). A copy of the OS disk attached as a data disk holds the same
// partition; the disk under the mounted /usr is the booted one (hull-init
// chose it, docs/init.md). kNotFound with no holder; kConflict when several
// disks remain and none is known to be under /usr (never a guess: the agent
// would bless, install and reboot on the wrong disk).
Result<std::string> ChooseNodeDisk(const std::vector<std::string>& holders,
                                   const std::vector<std::string>& backing);

// SELinux denials among kernel log lines ("avc:  denied"), each trimmed to
// its "{ perm } for ... tclass=..." part.
std::vector<std::string> SelinuxDenials(std::string_view kmsg);

}  // namespace hull::agent
