// What a Hull disk holds for updates: its usr slots (usr + usr-verity +
// usr-verity-sig partitions, DESIGN.md "Disk layout") and the UKIs on the
// ESP in systemd-boot's boot order, each tied to the slot its usrhash= names
// (by the DPS partition UUIDs derived from the root hash).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "crypto/key.h"
#include "gpt/gpt.h"
#include "node/boot_count.h"
#include "slot/check.h"
#include "slot/io.h"

namespace hull::slot {

inline constexpr const char* kEmptyLabel = "_empty";
inline constexpr uint64_t kMaxUkiBytes = uint64_t(512) << 20;
inline constexpr uint32_t kMaxSlots = 8;

struct Slot {
  int index = 0;  // 0 = A, 1 = B, ...
  gpt::Partition usr, verity, signature;
  uint32_t sector_size = 512;
  uint64_t Offset(const gpt::Partition& p) const { return p.first_lba * sector_size; }
  uint64_t Size(const gpt::Partition& p) const { return p.sectors() * sector_size; }
  std::string version;  // from the label "usr_<version>"; "" when empty
  bool empty() const { return version.empty(); }
  std::string name() const { return std::string(1, char('A' + index)); }
  SlotParts parts() const { return {usr, verity, signature}; }
};

struct Uki {
  std::string file;  // name in /EFI/Linux
  node::EntryName entry;
  std::string usrhash;  // from .cmdline, lowercase (node/usrhash.h); "" when absent
  std::string version;  // IMAGE_VERSION (or VERSION_ID) of .osrel
  int slot = -1;        // index into DiskState::slots, -1 when none matches
  std::string error;    // why the file could not be read as a UKI
};

struct DiskState {
  gpt::Table table;
  bool gpt_from_backup = false;
  std::string gpt_note;
  std::vector<Slot> slots;
  std::vector<Uki> ukis;                 // in boot order: ukis[0] boots
  std::vector<std::string> other_files;  // in /EFI/Linux, not UKIs (e.g. leftover temp files)

  const Uki* default_entry() const { return ukis.empty() ? nullptr : &ukis[0]; }
  // The slot of a root hash (hex): by its usr and usr-verity UUIDs; -1 when none.
  int SlotOfRootHash(const std::string& root_hex) const;
};

// The label names of a slot for a version (DESIGN.md): "usr_<v>",
// "usr_<v>_verity", "usr_<v>_verity_sig".
std::string UsrLabel(const std::string& version);

// The version a slot's usr partition label names: "<v>" for "usr_<v>", ""
// for a slot that holds no release (kEmptyLabel, or a label of any other
// form). The one rule of what an empty slot is: Slot::empty() and
// `hull inspect` both use it.
std::string VersionOfUsrLabel(std::string_view label);

// Reads the GPT (falling back to the backup copy), pairs the usr partitions
// with their verity and signature partitions (PairSlots, check.h), and reads
// every *.efi under /EFI/Linux. kCorrupt for an invalid GPT or unequal
// numbers of usr / usr-verity / usr-verity-sig partitions.
Result<DiskState> ReadDiskState(const DiskIo& disk, EspIo& esp);

// The byte offset of the ESP (the first partition of the ESP type); kNotFound.
Result<uint64_t> EspOffset(const gpt::Table& table);

// The usrhash= word of a UKI's .cmdline (lowercase; "" when absent) and the
// version of its .osrel. A usrhash= that node::ParseUsrHash refuses is its
// error (kInvalidArgument).
struct UkiFacts {
  std::string usrhash, version, cmdline;
  std::string sysext_level;  // the .osrel's SYSEXT_LEVEL, as written ("" when none)
};
Result<UkiFacts> ReadUkiFacts(ByteSpan uki);

// CheckSlot (check.h) reduced to pass/fail: the slot's sizes, whole tree and
// signature partition (and its PKCS#7 signature when `cert` is given)
// against `root_hex`. Not the DPS UUIDs: callers find the slot by them
// (SlotOfRootHash, RootHashOfUuids) or have yet to write them (Install
// verifies the written slot before labelling it). The first failed check's error
// (kVerifyFailed, kBadSignature, kCorrupt, ...) naming the slot and check.
Status VerifySlot(const DiskIo& disk, const Slot& slot, const std::string& root_hex,
                  const crypto::Certificate* cert = nullptr);
// The findings VerifySlot reduces (for `hull slot status`).
SlotCheck CheckDiskSlot(const DiskIo& disk, const Slot& slot, const std::string& root_hex,
                        const crypto::Certificate* cert = nullptr);

// A disk and its ESP: the ESP through mtools at its offset in the image (or
// block device), or the directory `esp_dir` when it is mounted (a node).
struct OpenedDisk {
  std::unique_ptr<FileDisk> disk;
  std::unique_ptr<EspIo> esp;
};
Result<OpenedDisk> OpenDisk(const std::string& path, bool writable,
                            const std::string& esp_dir = "");

// The root hash a slot's DPS UUIDs spell (usr UUID + verity UUID, 32 bytes,
// hex); "" for an empty slot.
std::string RootHashOfUuids(const Slot& slot);

// Per-slot CheckSlot results for ToJson (index = slot index; nullopt = not
// checked).
using SlotChecks = std::vector<std::optional<SlotCheck>>;

// `hull slot status --json`: gpt, slots (with active), ukis in boot order.
nlohmann::json ToJson(const DiskState& st, const SlotChecks& checks = {});
// The same as text.
std::string ToText(const DiskState& st, const SlotChecks& checks = {});

// The boot check after an interruption: a valid GPT, a default entry, its
// usrhash naming a slot that verifies. Returns the default entry's file name.
Result<std::string> CheckBootable(const DiskIo& disk, EspIo& esp,
                                  const crypto::Certificate* cert = nullptr);

}  // namespace hull::slot
