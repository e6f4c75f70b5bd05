#include "agent/install.h"

#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <cstdio>

#include "agent/install_plan.h"
#include "agent/node.h"
#include "base/exit_code.h"
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

Result<InstallIds> NewIds() {
  InstallIds ids;
  for (Uuid* u : {&ids.disk, &ids.esp, &ids.root, &ids.b[0], &ids.b[1], &ids.b[2]}) {
    HULL_ASSIGN_OR_RETURN(*u, RandomUuid());
  }
  return ids;
}

// The same file or device: a target that is the medium itself.
bool SameObject(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  if (stat(a.c_str(), &sa) != 0 || stat(b.c_str(), &sb) != 0) return false;
  if (S_ISBLK(sa.st_mode) && S_ISBLK(sb.st_mode)) return sa.st_rdev == sb.st_rdev;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// What the plan needs to know about the target.
Result<InstallTarget> ReadTarget(const slot::DiskIo& disk, const InstallOptions& o) {
  InstallTarget t{.device = o.target, .bytes = disk.size(), .sector_size = 512};
  int ss = 0;
  if (ioctl(disk.file().fd(), BLKSSZGET, &ss) == 0 && ss > 0) t.sector_size = uint32_t(ss);
  // A GPT, or any MBR (0x55AA) at all: something is on this disk.
  Bytes mbr(512);
  if (disk.size() >= 512) {
    HULL_TRY(disk.ReadAt(0, mbr));
    t.has_partitions = mbr[510] == 0x55 && mbr[511] == 0xAA;
  }
  slot::DiskSource src(disk);
  if (auto g = gpt::ReadAuto(src); g.ok() && !g->partitions.empty()) t.has_partitions = true;
  // The medium itself, or the disk the running system's /usr is on.
  t.booted_from = SameObject(o.target, o.medium);
  if (auto node = ReadNode(); node.ok() && SameObject(o.target, node->disk)) t.booted_from = true;
  return t;
}

// Copies `bytes` from `from_offset` of the medium to `to_offset` of the
// target, zeros included (the target may hold anything).
Status CopyRange(const slot::DiskIo& from, uint64_t from_offset, slot::DiskIo& to,
                 uint64_t to_offset, uint64_t bytes) {
  Bytes buf(kChunk);
  for (uint64_t done = 0; done < bytes;) {
    size_t n = size_t(std::min<uint64_t>(kChunk, bytes - done));
    HULL_TRY(from.ReadAt(from_offset + done, MutableByteSpan(buf.data(), n)));
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

Status Install(const InstallOptions& o) {
  HULL_ASSIGN_OR_RETURN(auto medium, slot::FileDisk::Open(o.medium, false));
  slot::DiskSource msrc(*medium);
  HULL_ASSIGN_OR_RETURN(gpt::Table mt, gpt::Read(msrc, 512).Context("install medium " + o.medium));
  HULL_ASSIGN_OR_RETURN(auto target, slot::FileDisk::Open(o.target, true));
  HULL_ASSIGN_OR_RETURN(InstallTarget facts, ReadTarget(*target, o));
  HULL_ASSIGN_OR_RETURN(InstallIds ids, NewIds());
  HULL_ASSIGN_OR_RETURN(InstallPlan plan, PlanInstall(mt, facts, o.wipe, ids));
  const gpt::Table& t = plan.table;
  // An install cut short leaves no table that firmware or hull-init would
  // take for a disk: both headers go first, the new table last.
  Bytes zero(t.sector_size, 0);
  HULL_TRY(target->WriteAt(t.sector_size, zero));
  HULL_TRY(target->WriteAt((t.disk_sectors - 1) * t.sector_size, zero));
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
    HULL_TRY(CopyRange(*medium, from->first_lba * 512, *target, to_offset, c.bytes)
                 .Context(fmt::format("partition {} to {}#{}", c.from, o.target, c.to)));
    // The rest of a target partition larger than its content (the root).
    HULL_TRY(ZeroRange(*target, to_offset + c.bytes,
                       std::min<uint64_t>(to.sectors() * t.sector_size - c.bytes, 4 * kChunk)));
  }
  for (uint32_t n : plan.zero) {
    const gpt::Partition& p = part(t, n);
    HULL_TRY(ZeroRange(*target, p.first_lba * t.sector_size, p.sectors() * t.sector_size));
  }
  HULL_TRY(target->Sync());
  File* f = target->writable_file();
  if (!f) return Errorf(ErrorCode::kInternal, "{} is not open for writing", o.target);
  HULL_TRY(gpt::Write(*f, t));
  HULL_TRY(target->Sync());
  std::printf("installed %s on %s: %zu partitions, root %llu MiB (grown on first boot)\n",
              o.medium.c_str(), o.target.c_str(), t.partitions.size(),
              (unsigned long long)(t.partitions.back().sectors() * t.sector_size >> 20));
  return {};
}

}  // namespace

int RunInstall(const InstallOptions& o) {
  Status s = Install(o);
  if (s.ok()) return kExitOk;
  Error e = std::move(s).error().Wrap("install");
  std::fprintf(stderr, "hull-agent: %s\n", e.ToString().c_str());
  return ExitCodeFor(e.code());
}

}  // namespace hull::agent
