// The one slot verifier: every question asked of a usr slot (its usr,
// usr-verity and usr-verity-sig partitions, DESIGN.md "Disk layout") by the
// installer after writing, by apply, by the boot check after an
// interruption, by `hull slot status` and by `hull inspect`. Callers that
// need pass/fail reduce the findings with SlotCheck::ToStatus(); `hull
// inspect` renders each finding as a named check of its report.
//
// Pairing (decided here, once): a usr partition labelled L takes the first
// unpaired usr-verity partition labelled "L_verity" and usr-verity-sig
// partition labelled "L_verity_sig" in table order; the partitions left over
// (an "_empty" slot, labels half-written by an interrupted install, a disk
// labelled by another tool) pair in table order: the n-th unpaired usr with
// the n-th unpaired usr-verity and usr-verity-sig.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/result.h"
#include "crypto/key.h"
#include "gpt/gpt.h"

namespace hull::slot {

inline constexpr uint64_t kMaxSignatureBytes = 1 << 20;

// The partitions of one slot; verity and signature are absent when the
// table has fewer of them than usr partitions.
struct SlotParts {
  gpt::Partition usr;
  std::optional<gpt::Partition> verity, signature;
};

// The slots of a table, in the table order of their usr partitions.
std::vector<SlotParts> PairSlots(const gpt::Table& table);

// The names of the checks, as `hull inspect` prints them after "slot <label>: ".
inline constexpr const char* kCheckSizes = "sizes";
inline constexpr const char* kCheckTree = "verity tree";
inline constexpr const char* kCheckSignature = "root hash signature";
inline constexpr const char* kCheckSignedRoot = "root hash matches signature partition";
inline constexpr const char* kCheckUuids = "partition UUIDs from root hash";
inline constexpr const char* kCheckExpected = "root hash matches usrhash";

enum class Outcome { kPass, kFail, kSkip };

struct Finding {
  const char* check;  // one of kCheck*
  Outcome outcome = Outcome::kPass;
  std::string detail;
  ErrorCode code = ErrorCode::kVerifyFailed;  // of a failure: what ToStatus() returns
};

struct CheckOptions {
  // The root hash (hex) the slot must have, e.g. the usrhash= of the UKI
  // that boots it or the payload's; "" checks the tree against the
  // signature partition's root hash instead (what `hull inspect` does).
  std::string expected_root;
  // Verifies the PKCS#7 signature of the signature partition when set; the
  // signature check is kSkip otherwise.
  const crypto::Certificate* cert = nullptr;
  // false: only the sizes, the signature partition and the UUIDs (the tree
  // is not read; `hull inspect --no-verify`).
  bool verify_tree = true;
  // false: no DPS UUID check (the installer verifies a slot's content
  // before it writes the UUIDs).
  bool check_uuids = true;
};

struct SlotCheck {
  std::string name;               // "A", "B", ... or the usr label: the prefix of errors
  std::vector<Finding> findings;  // in the order the checks ran
  std::string root_hash;          // hex, recomputed from the tree ("" when not read)
  std::string signed_root_hash;   // hex, from the signature partition
  std::string certificate_fingerprint;
  uint64_t data_blocks = 0;

  bool ok() const;
  // Ok, or the first failure: "slot <name>: <check>: <detail>" with its
  // code (kVerifyFailed; kBadSignature etc. as the signature check gave).
  Status ToStatus() const;
};

// Runs the checks on the slot `parts` of `disk` (a table of `sector_size`),
// in a fixed order: sizes (superblock read, data_blocks * data_block_size
// and the hash tree within their partitions, overflow-checked), signature
// partition (decoded, PKCS#7 verified against cert; kSkip without a
// certificate or without a usr-verity-sig partition), tree (recomputed,
// against expected_root or the signed root hash), signed root, DPS UUIDs,
// expected root. A check whose input failed is left out. Never fails
// itself: I/O errors become failed findings.
SlotCheck CheckSlot(const File& disk, uint32_t sector_size, const SlotParts& parts,
                    std::string name, const CheckOptions& options = {});

}  // namespace hull::slot
