// The A/B slot installer (DESIGN.md "Updates and fleets", issue "Slots and
// the agent"): writes a verified payload into the inactive usr slot of a
// disk and makes it the next boot, so that power loss at any point leaves a
// disk whose default boot entry still names a fully verified /usr.
//
// Order of operations (each write, fsync and ESP step is an interruption point):
//  1. verify the payload (VerifyPayload): nothing is written before;
//  2. read the disk (GPT with backup fallback, UKIs in boot order); the
//     active slot is the one the default entry names (or `active_usrhash`,
//     the booted one on a node); the target is another slot, empty first,
//     else the oldest version; refuse when the payload does not fit;
//  3. remove from the ESP every UKI naming the target slot and leftover
//     temp files (at most two UKIs remain: the active one and the new one);
//  4. relabel the target "_empty" (crash-safe GPT rewrite, gpt_write.h), so
//     a torn slot never carries a version label;
//  5. write usr, verity and signature data (the signature partition is
//     zero-filled past its content), fsync;
//  6. re-read and verify what was written (VerifySlot: whole tree, root
//     hash, signature partition);
//  7. relabel the target usr_<v>, usr_<v>_verity, usr_<v>_verity_sig with
//     the DPS UUIDs of the root hash (crash-safe GPT rewrite);
//  8. write the UKI as "hull_<v>+3.efi.tmp" (not an entry: systemd-boot
//     loads only *.efi) and rename it to "hull_<v>+3.efi" (3 boot tries).
// Until step 8's rename the default entry is untouched; after it, the new
// entry sorts first (newer version).
#pragma once

#include <string>
#include <vector>

#include "crypto/key.h"
#include "slot/io.h"
#include "slot/payload.h"
#include "slot/state.h"

namespace hull::slot {

struct TrustSet;  // slot/trust.h

inline constexpr uint32_t kBootTries = 3;

struct InstallOptions {
  uint64_t chunk_bytes = 4 << 20;  // write size (a multiple of 4096)
  std::string active_usrhash;      // the booted root hash; "" = the default entry's
  const crypto::Certificate* verity_cert = nullptr;  // checks the root hash signature
  uint32_t boot_tries = kBootTries;                  // the new UKI is hull_<v>+<boot_tries>.efi
  // The slot to write (index into DiskState::slots), as the caller decided
  // it (the agent's decision); -1: TargetSlot's. Refused when it is the
  // active slot or does not exist.
  int target_slot = -1;
  // ApplyRelease/ApplyUpdate (slot/update.h): the node's trust set, checked
  // before any download (slot/trust.h); null or empty: not checked.
  const TrustSet* trust = nullptr;
};

struct InstallResult {
  std::string slot;                  // "A" / "B"
  std::string replaced_version;      // "" when the slot was empty
  std::string uki_file;              // "hull_<v>+3.efi"
  std::vector<std::string> removed;  // ESP files removed
  uint64_t bytes_written = 0;        // usr + verity + signature partition bytes
};

// The slot a payload goes into (step 2): another slot than `active` (-1:
// none is active), an empty one first, else the one holding the oldest
// version; -1 when there is no other slot. Also the agent's decision.
int TargetSlot(const DiskState& st, int active);

// kRefused "<what> needs N bytes, slot X's partition P has M" when a piece
// of these sizes does not fit slot `s` (step 2; also checked before a
// download, slot/trust.h).
Status CheckFits(const Slot& s, uint64_t usr, uint64_t verity, uint64_t signature);

// Errors: VerifyPayload's; kUnavailable when the active root hash names no
// slot labelled usr_<v> (the slot that runs is unknown, so no slot is known
// to be free) or no other slot exists; kAlreadyExists when the active slot
// already holds this root hash; kInvalidArgument for a target_slot that is
// active or absent; kRefused "<what> needs N bytes, slot X's partition has
// M" when the payload does not fit; kVerifyFailed when the written slot
// does not verify; the I/O layer's errors (kIo) as they come. Nothing
// bootable changes on error.
//
// `refused`, when given, is set when the error is the payload's own
// (VerifyPayload, or a piece larger than its partition): a property of the
// release's bytes, not of this run, so checking it again gives the same answer.
Result<InstallResult> Install(DiskIo& disk, EspIo& esp, const Payload& payload,
                              const InstallOptions& options = {}, bool* refused = nullptr);

// Install in two halves, for a caller that writes the usr image into the
// target slot itself (slot/update.h: a delta, chunks or a download straight
// into the partition, nothing image-sized elsewhere).
//
// PrepareSlot does steps 2-4 for pieces of these sizes: picks the target,
// checks the pieces fit it, cleans the ESP and retires the slot ("_empty").
// The caller then writes the usr image at [usr_offset, usr_offset +
// usr_capacity) of the disk; the slot stays "_empty" (unbootable) whatever
// lies there. CompleteSlot does steps 5-8 with `p.usr_path` empty and
// `p.usr_in_place` the image's length: verity and signature written, the
// whole slot verified against the root hash (and `verity_cert`) before it
// is labelled and its UKI installed. The caller verifies the rest of the
// payload first (VerifyPayloadWithoutUsr). Errors: as Install's.
struct PieceSizes {
  std::string version;
  std::string root_hash;
  uint64_t usr = 0;
  uint64_t verity = 0;
  uint64_t signature = 0;
};
struct PreparedSlot {
  DiskState state;
  int target = -1;
  uint64_t usr_offset = 0;    // bytes into the disk
  uint64_t usr_capacity = 0;  // the usr partition's size
  InstallResult result;       // slot, replaced_version, uki_file, removed
};
Result<PreparedSlot> PrepareSlot(DiskIo& disk, EspIo& esp, const PieceSizes& sizes,
                                 const InstallOptions& options, bool* refused = nullptr);
Result<InstallResult> CompleteSlot(DiskIo& disk, EspIo& esp, PreparedSlot prepared,
                                   const Payload& payload, const InstallOptions& options);

}  // namespace hull::slot
