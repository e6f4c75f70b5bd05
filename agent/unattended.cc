#include "agent/unattended.h"

#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "agent/boot_entry.h"
#include "agent/environment.h"
#include "agent/events.h"
#include "agent/install.h"
#include "agent/seed.h"
#include "agent/sysfs.h"
#include "base/exit_code.h"
#include "base/hex.h"
#include "crypto/digest.h"
#include "node/config.h"
#include "node/medium.h"
#include "slot/io.h"

namespace hull::agent {
namespace {

// A disk and where the seed is on it.
struct Found {
  SeedDisk disk;
  uint64_t seed_offset = 0, seed_bytes = 0;
};

// Block devices that are never a seed, a medium or a target: loop devices,
// RAM disks, device-mapper and md devices.
bool Skipped(const std::string& name) {
  for (const char* p : {"loop", "ram", "zram", "dm-", "md", "nbd"})
    if (name.starts_with(p)) return true;
  return false;
}

std::string Serial(const std::string& sys) {
  for (const char* f : {"/serial", "/device/serial", "/device/wwid"})
    if (auto s = ReadSysLine(sys + f); s.ok() && !s->empty()) return *s;
  return "";
}

// Every whole disk under /sys/block, in name order, with what its GPT
// holds. A drive without a medium (an empty CD-ROM) is listed with 0 bytes.
Result<std::vector<Found>> ListDisks() {
  const std::string sys_block = Env().Path("/sys/block");
  std::vector<std::string> names;
  DIR* d = opendir(sys_block.c_str());
  if (!d) return Errorf(ErrorCode::kIo, "listing {}: {}", sys_block, std::strerror(errno));
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.' && !Skipped(e->d_name)) names.push_back(e->d_name);
  closedir(d);
  std::sort(names.begin(), names.end());
  std::vector<Found> out;
  for (const std::string& name : names) {
    const std::string sys = sys_block + "/" + name;
    Found f;
    f.disk.path = "/dev/" + name;
    f.disk.serial = Serial(sys);
    auto ro = ReadSysLine(sys + "/ro");
    f.disk.read_only = ro.ok() && *ro == "1";
    auto disk = slot::FileDisk::Open(Env().Path(f.disk.path), false);
    if (!disk.ok() || (*disk)->size() == 0) {
      out.push_back(std::move(f));
      continue;
    }
    f.disk.bytes = (*disk)->size();
    HULL_ASSIGN_OR_RETURN(f.disk.holds_data, HoldsData(**disk));
    slot::DiskSource src(**disk);
    if (auto g = gpt::ReadAuto(src); g.ok()) {
      for (const gpt::Partition& p : g->partitions) {
        if (p.name == node::kMediumRootLabel) f.disk.medium = true;
        if (p.name != kSeedPartitionName) continue;
        f.disk.seed = true;
        f.seed_offset = p.first_lba * g->sector_size;
        f.seed_bytes = p.sectors() * g->sector_size;
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

Result<std::string> ReadSeed(const Found& f) {
  HULL_ASSIGN_OR_RETURN(auto disk, slot::FileDisk::Open(Env().Path(f.disk.path), false));
  Bytes buf(size_t(std::min<uint64_t>(f.seed_bytes, kMaxSeedBytes + 1)));
  HULL_TRY(disk->ReadAt(f.seed_offset, buf));
  HULL_ASSIGN_OR_RETURN(
      std::string_view text,
      SeedText(std::string_view(reinterpret_cast<const char*>(buf.data()), buf.size())));
  return std::string(text);
}

// The one disk `pick` selects (nullptr when none does); kRefused naming
// `what` when several do.
template <typename Pick>
Result<const Found*> One(const std::vector<Found>& disks, const char* what, Pick pick) {
  std::vector<const Found*> match;
  std::string all;
  for (const Found& f : disks) {
    if (!pick(f)) continue;
    match.push_back(&f);
    all += (all.empty() ? "" : ", ") + f.disk.path;
  }
  if (match.size() > 1)
    return Errorf(ErrorCode::kRefused,
                  "{} disks hold {} ({}): attach only one; nothing was written", match.size(), what,
                  all);
  return match.empty() ? nullptr : match[0];
}

struct Outcome {
  Status status;
  bool seeded = false;
  AfterInstall after = AfterInstall::kPowerOff;
  // The disk already holds the install made from this seed: nothing was
  // written; the machine boots that disk next (BootNext) or powers off.
  std::string installed_before;
  std::string seed_sha256;
  uint32_t boot_next = 0;  // that disk's record's count of reboots into it
};

// A disk (not the medium or the seed's) whose install record names the
// seed with this SHA-256.
struct DoneBefore {
  std::string path;
  uint32_t boot_next = 0;
};
Result<std::optional<DoneBefore>> InstalledBefore(const std::vector<Found>& disks,
                                                  const std::string& sha) {
  for (const Found& f : disks) {
    if (f.disk.medium || f.disk.seed || f.disk.bytes == 0) continue;
    HULL_ASSIGN_OR_RETURN(auto disk, slot::FileDisk::Open(Env().Path(f.disk.path), false));
    HULL_ASSIGN_OR_RETURN(std::optional<uint32_t> n, InstalledFromSeed(*disk, sha));
    if (n) return std::optional<DoneBefore>(DoneBefore{f.disk.path, *n});
  }
  return std::optional<DoneBefore>();
}

// After a refusal to install twice: Boot#### for that disk's ESP, BootNext
// naming it, so the reboot starts the disk, not the medium, and the reboot
// counted in the disk's install record (kMaxBootNextReboots bounds them).
// "" on success, else why not, for the powering-off event (the machine then
// powers off: a reboot could start the medium again).
std::string BootThatDiskNext(const Outcome& r, Events& ev) {
  if (r.boot_next >= kMaxBootNextReboots)
    return fmt::format(
        "the install medium started again after {} reboot(s) into {} (BootNext): the firmware "
        "ignores BootNext or the disk does not start; take the medium out",
        r.boot_next, r.installed_before);
  auto why = [&]() -> Status {
    HULL_ASSIGN_OR_RETURN(auto disk, slot::FileDisk::Open(Env().Path(r.installed_before), true));
    slot::DiskSource src(*disk);
    HULL_ASSIGN_OR_RETURN(gpt::Table t, gpt::ReadAuto(src));
    HULL_ASSIGN_OR_RETURN(BootEntry entry, AddDiskBootEntry(Env().Path(kEfivarsDir), t));
    HULL_TRY(SetBootNext(Env().Path(kEfivarsDir), entry.number));
    HULL_TRY(RecordBootNext(*disk, r.seed_sha256, r.boot_next + 1)
                 .Context("counting the reboot in " + r.installed_before + "'s install record"));
    nlohmann::json fields = {{"disk", r.installed_before}, {"entry", entry.described}};
    if (!entry.malformed_order.empty()) fields["malformed_boot_order"] = entry.malformed_order;
    ev.Emit("boot-next", fields);
    return Ok();
  }();
  return why.ok() ? "" : "cannot set BootNext: " + why.error().ToString();
}

Outcome Unattended(Events& ev, bool console_from_seed) {
  Outcome out;
  auto disks = ListDisks();
  if (!disks.ok()) return {std::move(disks).error()};
  auto seed_disk = One(*disks, "a hull-seed partition", [](const Found& f) { return f.disk.seed; });
  if (!seed_disk.ok()) return {std::move(seed_disk).error()};
  if (!*seed_disk) {
    ev.Emit("install-no-seed");
    return out;
  }
  out.seeded = true;
  const Found& sf = **seed_disk;
  ev.Emit("install-seed", {{"disk", sf.disk.path}});
  auto text = ReadSeed(sf);
  if (!text.ok()) return {std::move(text).error(), true};
  auto seed = ParseSeed(*text);
  if (!seed.ok()) return {std::move(seed).error(), true};
  out.after = seed->after;
  // The operator's seed may say where its events go (a serial console the
  // operator watches), as update.json's event_console does for updates; an
  // untrusted seed names only a character device, never a file to append to.
  if (console_from_seed && seed->update.contains("event_console")) {
    const std::string c = seed->update["event_console"].get<std::string>();
    struct stat st {};
    if (c.starts_with("/dev/") && stat(Env().Path(c).c_str(), &st) == 0 && S_ISCHR(st.st_mode))
      ev = Events(c);
  }
  // An install this seed made already (a firmware that starts the medium
  // before the disk): refused before the target is chosen, whatever it names.
  crypto::Hasher h(crypto::DigestAlgorithm::kSha256);
  h.Update(AsBytes(*text));
  const std::string sha = HexEncode(h.Final());
  auto before = InstalledBefore(*disks, sha);
  if (!before.ok()) return {std::move(before).error(), true};
  if (*before) {
    ev.Emit("install-done-already",
            {{"disk", (*before)->path}, {"seed_sha256", sha}, {"boot_next", (*before)->boot_next}});
    out.installed_before = (*before)->path;
    out.seed_sha256 = sha;
    out.boot_next = (*before)->boot_next;
    return out;
  }
  auto medium = One(*disks, "the install medium", [](const Found& f) { return f.disk.medium; });
  if (!medium.ok()) return {std::move(medium).error(), true};
  if (!*medium)
    return {Error(ErrorCode::kNotFound,
                  "no disk holds the install medium (a hull-root-image partition)"),
            true};
  std::vector<SeedDisk> facts;
  for (const Found& f : *disks) facts.push_back(f.disk);
  auto target = ChooseTarget(seed->target, facts);
  if (!target.ok()) return {std::move(target).error(), true};
  ev.Emit("install-target", {{"disk", target->path},
                             {"serial", target->serial},
                             {"bytes", target->bytes},
                             {"wipe", seed->wipe}});
  // The seed's files are made before anything is written, so a
  // configuration that is not valid over the image's refuses the install.
  auto image = node::LoadConfig(Env().root());
  auto files = SeedFiles(*seed, image.ok() ? *image : node::UpdateConfig{});
  if (!files.ok()) return {std::move(files).error(), true};
  InstallOptions o{.medium = Env().Path((*medium)->disk.path),
                   .target = Env().Path(target->path),
                   .wipe = seed->wipe,
                   .etc_files = *files,
                   .seed_sha256 = sha};
  auto installed = InstallImage(o);
  if (!installed.ok()) return {std::move(installed).error(), true};
  std::vector<std::string> paths;
  for (const SeedFile& f : *files) paths.push_back(f.path);
  nlohmann::json fields = {{"disk", target->path}, {"etc", paths}};
  if (!installed->boot_entry.empty())
    fields["boot_entry"] = installed->boot_entry;
  else
    fields["no_boot_entry"] = installed->no_boot_entry;
  if (!installed->malformed_boot_order.empty())
    fields["malformed_boot_order"] = installed->malformed_boot_order;
  ev.Emit("installed", fields);
  return out;
}

}  // namespace

int RunUnattendedInstall(const UnattendedOptions& o) {
  std::string console = o.console;
  if (console.empty())
    if (auto c = node::LoadConfig(Env().root()); c.ok()) console = c->event_console;
  Events ev(console);
  Outcome r = Unattended(ev, o.console.empty());
  if (!r.status.ok()) {
    Error e = std::move(r.status).error().Wrap("unattended install");
    const int code = ExitCodeFor(e.code());
    ev.Emit("install-failed", {{"error", e.ToString()}, {"exit", code}});
    std::fprintf(stderr, "hull-agent: %s\n", e.ToString().c_str());
    return code;
  }
  if (!r.seeded) return kExitOk;
  bool reboot = r.after == AfterInstall::kReboot;
  if (!r.installed_before.empty()) {
    // Reboot only into that disk, and only kMaxBootNextReboots times;
    // without BootNext a reboot could start the medium again, so power off
    // instead (the operator takes it out).
    const std::string why = BootThatDiskNext(r, ev);
    reboot = why.empty();
    if (!reboot)
      ev.Emit("powering-off", {{"reason", why}});
    else
      ev.Emit("rebooting");
  } else {
    ev.Emit(reboot ? "rebooting" : "powering-off");
  }
  Status s = reboot ? Env().Reboot() : Env().PowerOff();
  if (!s.ok()) {
    std::fprintf(stderr, "hull-agent: %s\n", s.error().ToString().c_str());
    return ExitCodeFor(s.error().code());
  }
  return kExitOk;
}

}  // namespace hull::agent
