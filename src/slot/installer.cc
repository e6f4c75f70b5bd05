#include "slot/installer.h"

#include "base/hex.h"
#include "gpt/attributes.h"
#include "gpt/dps.h"
#include "slot/gpt_write.h"

namespace hull::slot {
namespace {

constexpr const char* kTempSuffix = ".tmp";

struct Plan {
  DiskState state;
  int active = -1;
  int target = -1;
};

Result<Plan> PickTarget(DiskState st, const std::string& version, const std::string& root_hash,
                        const InstallOptions& o) {
  Plan plan;
  std::string active_hash = o.active_usrhash;
  if (active_hash.empty() && st.default_entry()) active_hash = st.default_entry()->usrhash;
  plan.active = active_hash.empty() ? -1 : st.SlotOfRootHash(active_hash);
  // Without the active slot every slot may be the one that runs: writing
  // any of them, or removing the entries that name no slot, could remove
  // the only bootable system.
  if (plan.active < 0)
    return Errorf(ErrorCode::kUnavailable,
                  "the active root hash {} names no usr slot labelled usr_<version>: the slot "
                  "that runs is unknown, so none is known to be free",
                  active_hash.empty() ? "(none: no boot entry)" : active_hash);
  const Slot& active = st.slots[size_t(plan.active)];
  if (active_hash == root_hash)
    return Errorf(ErrorCode::kAlreadyExists, "version {} (root hash {}) is the active slot {}",
                  version, root_hash, active.name());
  if (active.version == version)
    return Errorf(ErrorCode::kAlreadyExists,
                  "the active slot {} already holds version {} (with another root hash)",
                  active.name(), version);
  plan.target = o.target_slot >= 0 ? o.target_slot : TargetSlot(st, plan.active);
  if (o.target_slot >= 0 &&
      (size_t(o.target_slot) >= st.slots.size() || o.target_slot == plan.active))
    return Errorf(ErrorCode::kInvalidArgument, "slot {} is {}", char('A' + o.target_slot),
                  o.target_slot == plan.active ? "the active slot" : "not on this disk");
  if (plan.target < 0)
    return Errorf(ErrorCode::kUnavailable, "the disk has {} usr slot(s) and none is inactive",
                  st.slots.size());
  plan.state = std::move(st);
  return plan;
}

// Copies a file into the disk at `offset` in chunks.
Status WriteFile(DiskIo& disk, const std::string& path, uint64_t offset, uint64_t chunk,
                 uint64_t* written) {
  HULL_ASSIGN_OR_RETURN(File f, File::OpenRead(path));
  HULL_ASSIGN_OR_RETURN(uint64_t size, f.Size());
  Bytes buf(std::min<uint64_t>(chunk, std::max<uint64_t>(size, 1)));
  for (uint64_t done = 0; done < size;) {
    size_t n = size_t(std::min<uint64_t>(buf.size(), size - done));
    HULL_TRY(f.ReadAt(done, MutableByteSpan(buf.data(), n)));
    HULL_TRY(disk.WriteAt(offset + done, ByteSpan(buf.data(), n)));
    done += n;
  }
  *written += size;
  return Ok();
}

Result<gpt::Table> Relabel(const DiskState& st, const Slot& s, const std::string& version,
                           const Bytes* root) {
  gpt::Table t = st.table;
  for (auto& p : t.partitions) {
    bool usr = p.number == s.usr.number, ver = p.number == s.verity.number,
         sig = p.number == s.signature.number;
    if (!usr && !ver && !sig) continue;
    if (version.empty()) {
      p.name = kEmptyLabel;
      continue;
    }
    p.name = UsrLabel(version) + (ver ? "_verity" : sig ? "_verity_sig" : "");
    p.attributes |= gpt::kAttrReadOnly;
    HULL_ASSIGN_OR_RETURN(auto uuids, gpt::DpsVerityUuids(*root));
    if (usr) p.uuid = uuids.data;
    if (ver) p.uuid = uuids.verity;
  }
  return t;
}

Status CleanEsp(EspIo& esp, const DiskState& st, int target, InstallResult& r) {
  for (const Uki& u : st.ukis) {
    // Hull entries of the target slot, and Hull entries naming no slot (unbootable).
    if (node::VersionOfStem(u.entry.stem).empty()) continue;
    if (u.slot == target || u.slot < 0) {
      HULL_TRY(esp.Remove(u.file));
      r.removed.push_back(u.file);
    }
  }
  for (const std::string& f : st.other_files) {
    if (f.rfind("hull_", 0) == 0 && f.size() > 4 && f.ends_with(kTempSuffix)) {
      HULL_TRY(esp.Remove(f));
      r.removed.push_back(f);
    }
  }
  return Ok();
}

// Writes usr (unless already in place), verity and signature data.
Status WriteSlot(DiskIo& disk, const Slot& s, const Payload& p, uint64_t chunk, uint64_t* written) {
  if (!p.usr_path.empty())
    HULL_TRY(WriteFile(disk, p.usr_path, s.Offset(s.usr), chunk, written).Context("usr"));
  else
    *written += p.usr_in_place;
  HULL_TRY(WriteFile(disk, p.verity_path, s.Offset(s.verity), chunk, written).Context("verity"));
  Bytes sig(s.Size(s.signature), 0);
  std::copy(p.signature.begin(), p.signature.end(), sig.begin());
  HULL_TRY(WriteChunked(disk, s.Offset(s.signature), sig, chunk).Context("signature"));
  *written += sig.size();
  return disk.Sync();
}

}  // namespace

Status CheckFits(const Slot& s, uint64_t usr, uint64_t verity, uint64_t sig) {
  for (auto [what, need, part] : {std::tuple{"usr image", usr, &s.usr},
                                  {"verity tree", verity, &s.verity},
                                  {"signature", sig, &s.signature}}) {
    if (need > s.Size(*part))
      return Errorf(ErrorCode::kRefused, "{} needs {} bytes, slot {}'s partition {} has {}", what,
                    need, s.name(), part->number, s.Size(*part));
  }
  return Ok();
}

int TargetSlot(const DiskState& st, int active) {
  int target = -1;
  for (const Slot& s : st.slots) {
    if (s.index == active) continue;
    if (target < 0) {
      target = s.index;
      continue;
    }
    const Slot& t = st.slots[size_t(target)];
    if (t.empty()) continue;
    if (s.empty() || node::CompareVersions(s.version, t.version) < 0) target = s.index;
  }
  return target;
}

namespace {

Status CheckInstallOptions(const InstallOptions& o) {
  if (o.chunk_bytes == 0 || o.chunk_bytes % 4096 != 0)
    return Errorf(ErrorCode::kInvalidArgument, "chunk size {} is not a multiple of 4096",
                  o.chunk_bytes);
  if (o.boot_tries == 0 || o.boot_tries > 99)
    return Errorf(ErrorCode::kInvalidArgument, "boot tries {} is not within 1..99", o.boot_tries);
  return Ok();
}

}  // namespace

Result<PreparedSlot> PrepareSlot(DiskIo& disk, EspIo& esp, const PieceSizes& p,
                                 const InstallOptions& o, bool* refused) {
  HULL_TRY(CheckInstallOptions(o));
  HULL_ASSIGN_OR_RETURN(DiskState st, ReadDiskState(disk, esp));
  HULL_ASSIGN_OR_RETURN(Plan plan, PickTarget(std::move(st), p.version, p.root_hash, o));
  const Slot& slot = plan.state.slots[size_t(plan.target)];
  if (Status fits = CheckFits(slot, p.usr, p.verity, p.signature); !fits.ok()) {
    if (refused) *refused = true;
    return std::move(fits).error();
  }
  PreparedSlot prep;
  InstallResult& r = prep.result;
  r.slot = slot.name();
  r.replaced_version = slot.version;
  r.uki_file = node::CountedName(node::UkiStem(p.version), o.boot_tries);
  HULL_TRY(CleanEsp(esp, plan.state, plan.target, r).Context("cleaning the ESP"));
  if (slot.usr.name != kEmptyLabel || slot.verity.name != kEmptyLabel ||
      slot.signature.name != kEmptyLabel) {
    HULL_ASSIGN_OR_RETURN(gpt::Table retired, Relabel(plan.state, slot, "", nullptr));
    HULL_TRY(WriteTableCrashSafe(disk, retired, o.chunk_bytes).Context("retiring slot " + r.slot));
  }
  prep.usr_offset = slot.Offset(slot.usr);
  prep.usr_capacity = slot.Size(slot.usr);
  prep.target = plan.target;
  prep.state = std::move(plan.state);
  return prep;
}

Result<InstallResult> CompleteSlot(DiskIo& disk, EspIo& esp, PreparedSlot prep, const Payload& p,
                                   const InstallOptions& o) {
  HULL_ASSIGN_OR_RETURN(Bytes root, HexDecode(p.root_hash));
  const Slot& slot = prep.state.slots[size_t(prep.target)];
  InstallResult r = std::move(prep.result);
  HULL_TRY(
      WriteSlot(disk, slot, p, o.chunk_bytes, &r.bytes_written).Context("writing slot " + r.slot));
  HULL_TRY(VerifySlot(disk, slot, p.root_hash, o.verity_cert).Context("after writing"));
  HULL_ASSIGN_OR_RETURN(gpt::Table labelled, Relabel(prep.state, slot, p.version, &root));
  HULL_TRY(WriteTableCrashSafe(disk, labelled, o.chunk_bytes).Context("labelling slot " + r.slot));
  const std::string temp = r.uki_file + kTempSuffix;
  HULL_TRY(esp.Write(temp, p.uki).Context("writing the UKI"));
  HULL_TRY(esp.Rename(temp, r.uki_file).Context("installing the UKI"));
  return r;
}

Result<InstallResult> Install(DiskIo& disk, EspIo& esp, const Payload& p, const InstallOptions& o,
                              bool* refused) {
  HULL_TRY(CheckInstallOptions(o));
  // The payload's own faults: the same bytes fail the same way every time.
  if (refused) *refused = false;
  if (Status st = VerifyPayload(p, o.verity_cert); !st.ok()) {
    if (refused) *refused = true;
    return std::move(st).error();
  }
  HULL_ASSIGN_OR_RETURN(File usr, File::OpenRead(p.usr_path));
  HULL_ASSIGN_OR_RETURN(File ver, File::OpenRead(p.verity_path));
  PieceSizes sizes{.version = p.version, .root_hash = p.root_hash};
  HULL_ASSIGN_OR_RETURN(sizes.usr, usr.Size());
  HULL_ASSIGN_OR_RETURN(sizes.verity, ver.Size());
  sizes.signature = p.signature.size();
  HULL_ASSIGN_OR_RETURN(PreparedSlot prep, PrepareSlot(disk, esp, sizes, o, refused));
  return CompleteSlot(disk, esp, std::move(prep), p, o);
}

}  // namespace hull::slot
