#include "slot/state.h"

#include "base/hex.h"
#include "gpt/dps.h"
#include "gpt/types.h"
#include "node/kernel_cmdline.h"
#include "node/os_release.h"
#include "node/usrhash.h"
#include "pe/pe.h"

namespace hull::slot {
namespace {

std::string SectionText(ByteSpan file, const pe::PeImage& img, std::string_view name) {
  const pe::Section* s = img.FindSection(name);
  if (!s) return "";
  uint64_t len = std::min(s->virtual_size, s->size_of_raw_data);
  uint64_t end = 0;
  if (!CheckedAdd(uint64_t(s->pointer_to_raw_data), len, &end) || end > file.size()) return "";
  std::string text(reinterpret_cast<const char*>(file.data()) + s->pointer_to_raw_data, len);
  while (!text.empty() && (text.back() == '\0' || text.back() == '\n')) text.pop_back();
  return text;
}

Status ReadSlots(DiskState& st) {
  size_t usr = 0, ver = 0, sig = 0;
  for (const auto& p : st.table.partitions) {
    const gpt::PartitionType* t = gpt::LookupTypeGuid(p.type);
    if (!t) continue;
    usr += t->role == gpt::Role::kUsr;
    ver += t->role == gpt::Role::kUsrVerity;
    sig += t->role == gpt::Role::kUsrVeritySig;
  }
  if (usr != ver || usr != sig)
    return Errorf(ErrorCode::kCorrupt,
                  "{} usr, {} usr-verity and {} usr-verity-sig partitions: slots need one of each",
                  usr, ver, sig);
  if (usr > kMaxSlots)
    return Errorf(ErrorCode::kCorrupt, "{} usr partitions (at most {})", usr, kMaxSlots);
  // Equal counts: PairSlots leaves no part absent.
  for (SlotParts& parts : PairSlots(st.table)) {
    Slot s;
    s.index = int(st.slots.size());
    s.sector_size = st.table.sector_size;
    s.usr = parts.usr;
    s.verity = *parts.verity;
    s.signature = *parts.signature;
    s.version = VersionOfUsrLabel(s.usr.name);
    st.slots.push_back(std::move(s));
  }
  return Ok();
}

Status ReadUkis(DiskState& st, EspIo& esp) {
  HULL_ASSIGN_OR_RETURN(auto names, esp.List());
  std::vector<Uki> ukis;
  for (const std::string& name : names) {
    auto entry = node::ParseEntryName(name);
    if (!entry.ok()) {
      st.other_files.push_back(name);
      continue;
    }
    Uki u;
    u.file = name;
    u.entry = *entry;
    auto bytes = esp.Read(name, kMaxUkiBytes);
    if (!bytes.ok()) return std::move(bytes).error().Wrap("reading /EFI/Linux/" + name);
    auto facts = ReadUkiFacts(*bytes);
    if (facts.ok()) {
      u.usrhash = facts->usrhash;
      u.version = facts->version;
      if (!u.usrhash.empty()) u.slot = st.SlotOfRootHash(u.usrhash);
    } else {
      u.error = facts.error().ToString();
    }
    ukis.push_back(std::move(u));
  }
  std::vector<node::EntryName> entries;
  for (const auto& u : ukis) entries.push_back(u.entry);
  for (size_t i : node::BootOrder(entries)) st.ukis.push_back(ukis[i]);
  return Ok();
}

}  // namespace

std::string UsrLabel(const std::string& version) { return "usr_" + version; }

std::string VersionOfUsrLabel(std::string_view label) {
  if (!label.starts_with("usr_") || label.size() <= 4) return "";
  return std::string(label.substr(4));
}

int DiskState::SlotOfRootHash(const std::string& root_hex) const {
  auto root = HexDecode(root_hex);
  if (!root.ok() || root->size() < 32) return -1;
  auto uuids = gpt::DpsVerityUuids(*root);
  if (!uuids.ok()) return -1;
  for (const Slot& s : slots) {
    if (!s.empty() && s.usr.uuid == uuids->data && s.verity.uuid == uuids->verity) return s.index;
  }
  return -1;
}

Result<UkiFacts> ReadUkiFacts(ByteSpan uki) {
  HULL_ASSIGN_OR_RETURN(pe::PeImage img, pe::ParsePe(uki));
  UkiFacts f;
  f.cmdline = SectionText(uki, img, ".cmdline");
  // Absent: "" (not a Hull UKI's command line); present but malformed: an error.
  if (auto hash = node::UsrHashOfCmdline(f.cmdline); hash.ok())
    f.usrhash = std::move(*hash);
  else if (hash.error().code() != ErrorCode::kNotFound)
    return std::move(hash).error();
  node::OsRelease osrel = node::ParseOsRelease(SectionText(uki, img, ".osrel"));
  f.version = osrel["IMAGE_VERSION"];
  if (f.version.empty()) f.version = osrel["VERSION_ID"];
  f.sysext_level = osrel["SYSEXT_LEVEL"];
  return f;
}

Result<uint64_t> EspOffset(const gpt::Table& table) {
  for (const auto& p : table.partitions) {
    const gpt::PartitionType* t = gpt::LookupTypeGuid(p.type);
    if (t && t->role == gpt::Role::kEsp) return p.first_lba * table.sector_size;
  }
  return Error(ErrorCode::kNotFound, "the disk has no EFI system partition");
}

Result<DiskState> ReadDiskState(const DiskIo& disk, EspIo& esp) {
  DiskState st;
  DiskSource src(disk);
  HULL_ASSIGN_OR_RETURN(gpt::Recovered rec, gpt::ReadRecovering(src));
  st.table = std::move(rec.table);
  st.gpt_from_backup = rec.from_backup;
  st.gpt_note = rec.note;
  HULL_TRY(ReadSlots(st));
  HULL_TRY(ReadUkis(st, esp));
  return st;
}

SlotCheck CheckDiskSlot(const DiskIo& disk, const Slot& slot, const std::string& root_hex,
                        const crypto::Certificate* cert) {
  CheckOptions o;
  o.expected_root = root_hex;
  o.cert = cert;
  o.check_uuids = false;
  return CheckSlot(disk.file(), slot.sector_size, slot.parts(), slot.name(), o);
}

Status VerifySlot(const DiskIo& disk, const Slot& slot, const std::string& root_hex,
                  const crypto::Certificate* cert) {
  return CheckDiskSlot(disk, slot, root_hex, cert).ToStatus();
}

Result<std::string> CheckBootable(const DiskIo& disk, EspIo& esp, const crypto::Certificate* cert) {
  HULL_ASSIGN_OR_RETURN(DiskState st, ReadDiskState(disk, esp));
  const Uki* def = st.default_entry();
  if (!def) return Error(ErrorCode::kVerifyFailed, "no UKI under /EFI/Linux");
  if (!def->error.empty())
    return Errorf(ErrorCode::kVerifyFailed, "default entry {}: {}", def->file, def->error);
  if (def->slot < 0)
    return Errorf(ErrorCode::kVerifyFailed, "default entry {}: usrhash={} names no usr slot",
                  def->file, def->usrhash);
  HULL_TRY(VerifySlot(disk, st.slots[size_t(def->slot)], def->usrhash, cert)
               .Context("default entry " + def->file));
  return def->file;
}

Result<OpenedDisk> OpenDisk(const std::string& path, bool writable, const std::string& esp_dir) {
  OpenedDisk o;
  HULL_ASSIGN_OR_RETURN(o.disk, FileDisk::Open(path, writable));
  if (!esp_dir.empty()) {
    o.esp = std::make_unique<DirectoryEsp>(esp_dir);
    return o;
  }
  DiskSource src(*o.disk);
  HULL_ASSIGN_OR_RETURN(gpt::Recovered rec,
                        gpt::ReadRecovering(src).Context("reading GPT of " + path));
  HULL_ASSIGN_OR_RETURN(uint64_t off, EspOffset(rec.table));
  o.esp = std::make_unique<MtoolsEsp>(path, off);
  return o;
}

std::string RootHashOfUuids(const Slot& slot) {
  if (slot.empty()) return "";
  return HexEncode(gpt::RootHashOfVerityUuids({slot.usr.uuid, slot.verity.uuid}));
}

namespace {

int ActiveSlot(const DiskState& st) { return st.default_entry() ? st.default_entry()->slot : -1; }

const SlotCheck* CheckOf(const SlotChecks& checks, const Slot& s) {
  size_t i = size_t(s.index);
  return i < checks.size() && checks[i] ? &*checks[i] : nullptr;
}

std::string CheckText(const SlotChecks& checks, const Slot& s) {
  const SlotCheck* c = CheckOf(checks, s);
  if (!c) return "not checked";
  Status st = c->ToStatus();
  return st.ok() ? "verified" : "FAILED: " + st.error().ToString();
}

}  // namespace

nlohmann::json ToJson(const DiskState& st, const SlotChecks& checks) {
  nlohmann::json j;
  j["gpt"] = {{"from_backup", st.gpt_from_backup},
              {"note", st.gpt_note},
              {"sector_size", st.table.sector_size}};
  j["slots"] = nlohmann::json::array();
  for (const Slot& s : st.slots) {
    nlohmann::json js{
        {"slot", s.name()},
        {"version", s.version},
        {"empty", s.empty()},
        {"active", s.index == ActiveSlot(st)},
        {"root_hash", RootHashOfUuids(s)},
        {"partitions",
         {{"usr", s.usr.number}, {"verity", s.verity.number}, {"signature", s.signature.number}}},
        {"usr_bytes", s.Size(s.usr)}};
    if (const SlotCheck* c = CheckOf(checks, s)) {
      Status v = c->ToStatus();
      js["verified"] = v.ok();
      if (!v.ok()) js["error"] = v.error().ToString();
    }
    j["slots"].push_back(js);
  }
  j["ukis"] = nlohmann::json::array();
  for (size_t i = 0; i < st.ukis.size(); ++i) {
    const Uki& u = st.ukis[i];
    nlohmann::json ju{{"file", u.file},
                      {"boot_order", i + 1},
                      {"state", node::EntryStateName(u.entry.state())},
                      {"version", u.version},
                      {"usrhash", u.usrhash},
                      {"slot", u.slot >= 0 ? st.slots[size_t(u.slot)].name() : ""}};
    if (u.entry.left) ju["tries_left"] = *u.entry.left;
    if (u.entry.done) ju["tries_done"] = *u.entry.done;
    if (!u.error.empty()) ju["error"] = u.error;
    j["ukis"].push_back(ju);
  }
  j["other_files"] = st.other_files;
  return j;
}

std::string ToText(const DiskState& st, const SlotChecks& checks) {
  std::string out;
  if (st.gpt_from_backup || !st.gpt_note.empty()) out += "GPT: " + st.gpt_note + "\n";
  for (const Slot& s : st.slots) {
    out += fmt::format("slot {}{}: {}  partitions {}/{}/{}  {}\n", s.name(),
                       s.index == ActiveSlot(st) ? " (active)" : "",
                       s.empty() ? "empty" : "usr_" + s.version, s.usr.number, s.verity.number,
                       s.signature.number, CheckText(checks, s));
    if (!s.empty()) out += "  root hash " + RootHashOfUuids(s) + "\n";
  }
  out += "boot order (/EFI/Linux):\n";
  for (size_t i = 0; i < st.ukis.size(); ++i) {
    const Uki& u = st.ukis[i];
    std::string tries = u.entry.left ? fmt::format(", {} tries left", *u.entry.left) : "";
    if (u.entry.done) tries += fmt::format(", {} done", *u.entry.done);
    out += fmt::format("  {}. {}  {}{}  -> {}\n", i + 1, u.file,
                       node::EntryStateName(u.entry.state()), tries,
                       u.slot >= 0 ? "slot " + st.slots[size_t(u.slot)].name()
                                   : "no slot" + (u.error.empty() ? "" : " (" + u.error + ")"));
  }
  for (const auto& f : st.other_files) out += "  (not an entry) " + f + "\n";
  return out;
}

}  // namespace hull::slot
