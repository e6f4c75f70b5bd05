#include "agent/install.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstdio>

#include "agent/boot_entry.h"
#include "agent/environment.h"
#include "agent/install_etc.h"
#include "agent/install_plan.h"
#include "agent/node.h"
#include "agent/sysfs.h"
#include "base/exit_code.h"
#include "base/fd.h"
#include "base/hex.h"
#include "crypto/digest.h"
#include "init/identity.h"
#include "node/medium.h"
#include "node/usrhash.h"
#include "slot/io.h"

namespace hull::agent {
namespace {

constexpr size_t kChunk = 1 << 20;

// A random version-4 UUID (RFC 4122 §4.4).
Result<Uuid> RandomUuid() {
  std::array<uint8_t, 16> b{};
  if (getrandom(b.data(), b.size(), 0) != ssize_t(b.size()))
    return Errorf(ErrorCode::kIo, "getrandom: {}", std::strerror(errno));
  b[6] = uint8_t((b[6] & 0x0F) | 0x40);
  b[8] = uint8_t((b[8] & 0x3F) | 0x80);
  return Uuid::FromBytes(b);
}

// The ESP's and the root's numbers in the plan's layout (install_plan.h).
constexpr uint32_t kEspNumber = 1, kRootNumber = 8;

// A random disk GUID with the ESP and root UUIDs hull-init derives from it
// (init/identity.h): the disk has its node identity from the start, so its
// first boot does not rewrite them, and the boot entry's HD() node, which
// names the ESP by its UUID, stays right.
Result<InstallIds> NewIds() {
  InstallIds ids;
  for (Uuid* u : {&ids.disk, &ids.b[0], &ids.b[1], &ids.b[2]}) {
    HULL_ASSIGN_OR_RETURN(*u, RandomUuid());
  }
  ids.esp = init::NodePartitionUuid(ids.disk, kEspNumber);
  ids.root = init::NodePartitionUuid(ids.disk, kRootNumber);
  return ids;
}

// The device number of the whole disk holding block device `dev` (itself
// when it is not a partition), from /sys/dev/block.
dev_t WholeDisk(dev_t dev) {
  const std::string sys = fmt::format("/sys/dev/block/{}:{}", major(dev), minor(dev));
  struct stat st {};
  if (stat((sys + "/partition").c_str(), &st) != 0) return dev;
  auto parent = ReadSysLine(sys + "/../dev");
  unsigned maj = 0, min = 0;
  if (!parent.ok() || std::sscanf(parent->c_str(), "%u:%u", &maj, &min) != 2) return dev;
  return makedev(maj, min);
}

// `target` is `other`, or the block device (or the disk of the partition)
// holding `other`: a file on a file system or a block device.
bool Holds(const std::string& target, const std::string& other) {
  struct stat t {
  }, o{};
  if (stat(target.c_str(), &t) != 0 || stat(other.c_str(), &o) != 0) return false;
  if (!S_ISBLK(t.st_mode)) return t.st_dev == o.st_dev && t.st_ino == o.st_ino;
  const dev_t on = S_ISBLK(o.st_mode) ? o.st_rdev : o.st_dev;
  return on == t.st_rdev || WholeDisk(on) == t.st_rdev;
}

// What the plan needs to know about the target.
Result<InstallTarget> ReadTarget(const slot::DiskIo& disk, const InstallOptions& o) {
  InstallTarget t{.device = o.target, .bytes = disk.size(), .sector_size = 512};
  int ss = 0;
  if (ioctl(disk.file().fd(), BLKSSZGET, &ss) == 0 && ss > 0) t.sector_size = uint32_t(ss);
  HULL_ASSIGN_OR_RETURN(t.holds_data, HoldsData(disk));
  // The medium itself or the disk it is on, or the disk the running
  // system's /usr is on.
  t.booted_from = Holds(o.target, o.medium);
  if (auto node = ReadNode(); node.ok() && Holds(o.target, node->disk)) t.booted_from = true;
  return t;
}

// A block device target opened with O_EXCL for the whole install: refused
// (EBUSY) while mounted, mapped by device-mapper or claimed by another
// program; the kernel then refuses those to others until the install ends.
Result<Fd> ClaimTarget(const std::string& target) {
  struct stat st {};
  if (stat(target.c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) return Fd();
  Fd fd(open(target.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC));
  if (fd.get() < 0 && errno == EBUSY)
    return Errorf(ErrorCode::kRefused,
                  "{} is in use (mounted, mapped or opened exclusively): unmount it or stop "
                  "what holds it",
                  target);
  if (fd.get() < 0) return Errorf(ErrorCode::kIo, "open {}: {}", target, std::strerror(errno));
  return fd;
}

// Copies `bytes` from `from_offset` of the medium to `to_offset` of the
// target, zeros included (the target may hold anything); every byte read
// also goes into `hash` when given, so what is checked is what was written.
Status CopyRange(const slot::DiskIo& from, uint64_t from_offset, slot::DiskIo& to,
                 uint64_t to_offset, uint64_t bytes, crypto::Hasher* hash = nullptr) {
  Bytes buf(kChunk);
  for (uint64_t done = 0; done < bytes;) {
    size_t n = size_t(std::min<uint64_t>(kChunk, bytes - done));
    HULL_TRY(from.ReadAt(from_offset + done, MutableByteSpan(buf.data(), n)));
    if (hash) hash->Update(ByteSpan(buf.data(), n));
    HULL_TRY(to.WriteAt(to_offset + done, ByteSpan(buf.data(), n)));
    done += n;
  }
  return {};
}

// Zeros a range, writing only where it is not zero already.
Status ZeroRange(slot::DiskIo& to, uint64_t offset, uint64_t bytes) {
  Bytes buf(kChunk), zeros(kChunk, 0);
  for (uint64_t done = 0; done < bytes;) {
    size_t n = size_t(std::min<uint64_t>(kChunk, bytes - done));
    HULL_TRY(to.ReadAt(offset + done, MutableByteSpan(buf.data(), n)));
    if (!std::equal(buf.begin(), buf.begin() + n, zeros.begin()))
      HULL_TRY(to.WriteAt(offset + done, ByteSpan(zeros.data(), n)));
    done += n;
  }
  return {};
}

}  // namespace

Result<bool> HoldsData(const slot::DiskIo& disk) {
  // Any non-zero byte in the first MiB: an MBR or GPT, a file system's
  // superblock (ext4 at 1 KiB, XFS at 0, btrfs at 64 KiB), an LVM or RAID
  // label. An empty disk reads as zeros there.
  Bytes head(size_t(std::min<uint64_t>(disk.size(), kChunk)));
  HULL_TRY(disk.ReadAt(0, head));
  if (std::any_of(head.begin(), head.end(), [](uint8_t b) { return b != 0; })) return true;
  slot::DiskSource src(disk);
  auto g = gpt::ReadAuto(src);
  return g.ok() && !g->partitions.empty();
}

Bytes InstallRecord(std::string_view seed_sha256, uint32_t boot_next) {
  Bytes r(kInstallRecordBytes, 0);
  if (seed_sha256.empty()) return r;
  std::string text = fmt::format("hull-install seed-sha256={}\n", seed_sha256);
  if (boot_next > 0) text += fmt::format("boot-next={}\n", boot_next);
  std::copy(text.begin(), text.end(), r.begin());
  return r;
}

Result<std::optional<uint32_t>> InstalledFromSeed(const slot::DiskIo& disk,
                                                  std::string_view seed_sha256) {
  if (seed_sha256.empty() || disk.size() < kInstallRecordOffset + kInstallRecordBytes)
    return std::optional<uint32_t>();
  Bytes got(kInstallRecordBytes);
  HULL_TRY(disk.ReadAt(kInstallRecordOffset, got));
  std::optional<uint32_t> boot_next;
  for (uint32_t n = 0; n <= kMaxBootNextReboots && !boot_next; ++n)
    if (got == InstallRecord(seed_sha256, n)) boot_next = n;
  if (!boot_next) return std::optional<uint32_t>();
  // The record counts only beside a finished install's table (ESP and root
  // where the installer puts them): a record without one is not a node.
  slot::DiskSource src(disk);
  auto t = gpt::ReadAuto(src);
  if (!t.ok() || !init::HasNodeIdentity(*t, kRootNumber)) return std::optional<uint32_t>();
  return boot_next;
}

Status RecordBootNext(slot::DiskIo& disk, std::string_view seed_sha256, uint32_t boot_next) {
  HULL_TRY(disk.WriteAt(kInstallRecordOffset, InstallRecord(seed_sha256, boot_next)));
  return disk.Sync();
}

namespace {

// Boot#### for the target's ESP, first in BootOrder (agent/boot_entry.h).
void WriteBootEntry(const gpt::Table& t, const std::string& target, Installed& out) {
  // A file target (an image being prepared) is no disk of this machine's
  // firmware: its entry would be the running machine's. (A simulated node's
  // disks are files and its efivarfs a directory.)
  struct stat st {};
  if (!Env().simulated() && (stat(target.c_str(), &st) != 0 || !S_ISBLK(st.st_mode))) {
    out.no_boot_entry = target + " is a file, not a disk of this machine";
    std::printf("no boot entry written: %s\n", out.no_boot_entry.c_str());
    return;
  }
  auto entry = AddDiskBootEntry(Env().Path(kEfivarsDir), t);
  if (entry.ok()) {
    out.boot_entry = entry->described;
    out.malformed_boot_order = entry->malformed_order;
    if (!out.malformed_boot_order.empty())
      std::printf("BootOrder was malformed (%s): written anew\n", out.malformed_boot_order.c_str());
    std::printf("boot entry %s for %s, first in BootOrder\n", out.boot_entry.c_str(),
                target.c_str());
  } else {
    out.no_boot_entry = entry.error().ToString();
    std::printf(
        "no boot entry written (%s): the firmware's own boot order decides; set %s first if "
        "it tries the install medium first\n",
        out.no_boot_entry.c_str(), target.c_str());
  }
}

}  // namespace

Result<Installed> InstallImage(const InstallOptions& o) {
  HULL_ASSIGN_OR_RETURN(auto medium, slot::FileDisk::Open(o.medium, false));
  slot::DiskSource msrc(*medium);
  HULL_ASSIGN_OR_RETURN(gpt::Table mt, gpt::Read(msrc, 512).Context("install medium " + o.medium));
  HULL_ASSIGN_OR_RETURN(std::string cmdline, ReadSysText(Env().Path("/proc/cmdline")));
  HULL_ASSIGN_OR_RETURN(const std::string want_template, ExpectedRootTemplate(mt, cmdline));
  HULL_ASSIGN_OR_RETURN(Fd claim, ClaimTarget(o.target));
  HULL_ASSIGN_OR_RETURN(auto target, slot::FileDisk::Open(o.target, true));
  HULL_ASSIGN_OR_RETURN(InstallTarget facts, ReadTarget(*target, o));
  HULL_ASSIGN_OR_RETURN(InstallIds ids, NewIds());
  HULL_ASSIGN_OR_RETURN(InstallPlan plan, PlanInstall(mt, facts, o.wipe, ids));
  const gpt::Table& t = plan.table;
  if (!init::HasNodeIdentity(t, kRootNumber))
    return Error(ErrorCode::kInternal,
                 "the planned table's ESP and root are not partitions 1 and 8");
  // An install cut short leaves no table that firmware or hull-init would
  // take for a disk: the MBR and both GPT headers go first, the new table
  // last.
  // An earlier install's record goes with them.
  Bytes zero(t.sector_size, 0);
  HULL_TRY(target->WriteAt(0, zero));
  HULL_TRY(target->WriteAt(t.sector_size, zero));
  HULL_TRY(target->WriteAt((t.disk_sectors - 1) * t.sector_size, zero));
  HULL_TRY(target->WriteAt(kInstallRecordOffset, InstallRecord("")));
  HULL_TRY(target->Sync());
  auto part = [](const gpt::Table& tab, uint32_t number) -> const gpt::Partition& {
    return tab.partitions[size_t(number) - 1];
  };
  for (const Copy& c : plan.copies) {
    const gpt::Partition& to = part(t, c.to);
    const gpt::Partition* from = nullptr;
    for (const gpt::Partition& p : mt.partitions)
      if (p.number == c.from) from = &p;
    uint64_t to_offset = to.first_lba * t.sector_size;
    crypto::Hasher hash(crypto::DigestAlgorithm::kSha256);
    HULL_TRY(CopyRange(*medium, from->first_lba * 512, *target, to_offset, c.bytes,
                       c.root_template ? &hash : nullptr)
                 .Context(fmt::format("partition {} to {}#{}", c.from, o.target, c.to)));
    // The new GPT is written last: a medium altered since it was made is
    // refused with no table on the target (its headers were zeroed above).
    if (c.root_template) {
      const std::string got = HexEncode(hash.Final());
      if (got != want_template)
        return Errorf(ErrorCode::kVerifyFailed,
                      "install medium: its root template ({}, partition {}) has SHA-256 {}, the "
                      "running system's {}= says {}: the medium was altered; nothing was "
                      "installed ({} holds no partition table now)",
                      node::kMediumRootLabel, c.from, got, node::kRootTemplateOption, want_template,
                      o.target);
    }
    // The rest of a target partition larger than its content (the root).
    HULL_TRY(ZeroRange(*target, to_offset + c.bytes,
                       std::min<uint64_t>(to.sectors() * t.sector_size - c.bytes, 4 * kChunk)));
  }
  for (uint32_t n : plan.zero) {
    const gpt::Partition& p = part(t, n);
    HULL_TRY(ZeroRange(*target, p.first_lba * t.sector_size, p.sectors() * t.sector_size));
  }
  File* f = target->writable_file();
  if (!f) return Errorf(ErrorCode::kInternal, "{} is not open for writing", o.target);
  HULL_TRY(gpt::Write(*f, t));
  HULL_TRY(target->Sync());
  for (const Copy& c : plan.copies) {
    if (!c.root_template) continue;
    const gpt::Partition& root = part(t, c.to);
    HULL_TRY(WriteEtcFiles(target->file().fd(), o.target, root.first_lba * t.sector_size,
                           root.sectors() * t.sector_size, o.etc_files, Env().Path("/run/hull"))
                 .Context("the seed's /etc files"));
  }
  // The install record last, once the table and the seed's files are on the
  // disk: a power cut before it leaves a disk the next unattended run
  // installs again, never one it refuses to finish.
  HULL_TRY(target->WriteAt(kInstallRecordOffset, InstallRecord(o.seed_sha256)));
  HULL_TRY(target->Sync());
  std::printf("installed %s on %s: %zu partitions, root %llu MiB (grown on first boot)\n",
              o.medium.c_str(), o.target.c_str(), t.partitions.size(),
              (unsigned long long)(t.partitions.back().sectors() * t.sector_size >> 20));
  Installed out;
  WriteBootEntry(t, o.target, out);
  return out;
}

int RunInstall(const InstallOptions& o) {
  auto s = InstallImage(o);
  if (s.ok()) return kExitOk;
  Error e = std::move(s).error().Wrap("install");
  std::fprintf(stderr, "hull-agent: %s\n", e.ToString().c_str());
  return ExitCodeFor(e.code());
}

}  // namespace hull::agent
