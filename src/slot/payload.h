// A release payload: the four pieces of one usr slot that an update installs
// -- the erofs /usr image, its dm-verity hash tree (with superblock), the DPS
// usr-verity-sig partition content (JSON), the signed UKI naming the root
// hash -- plus the version and root hash. `hull release add` publishes these;
// the installer writes them into the inactive slot.
//
// Directory form (`hull slot extract`, docs/update.md):
//   payload.json     {"version", "root_hash", "files": {"usr": {"name", "size",
//                    "sha256"}, "verity": ..., "signature": ..., "uki": ...}}
//   usr.erofs  usr.verity  usr.verity-sig  uki.efi
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "crypto/key.h"
#include "slot/io.h"
#include "slot/state.h"

namespace hull::slot {

inline constexpr uint64_t kMaxPayloadJson = 1 << 20;

struct Payload {
  std::string version;
  std::string root_hash;      // lowercase hex
  std::string usr_path;       // erofs image file; "" when written in place
  uint64_t usr_in_place = 0;  // without usr_path: the image's length in the target slot
  std::string verity_path;    // hash tree file (superblock at offset 0)
  Bytes signature;            // signature partition content
  Bytes uki;
};

// Reads a payload directory. kNotFound for a missing file, kCorrupt for a
// malformed payload.json or a file whose size or SHA-256 differs from it.
Result<Payload> LoadPayload(const std::string& dir);

// Checks a payload before anything is written: the verity tree over the usr
// image gives root_hash; the signature partition names root_hash (and its
// signature verifies with `cert` when given); the UKI parses as PE and its
// .cmdline says usrhash=<root_hash>; its .osrel's IMAGE_VERSION (else
// VERSION_ID) is exactly `version`; the version makes valid labels.
// kVerifyFailed / kBadSignature / kInvalidArgument naming the problem.
Status VerifyPayload(const Payload& p, const crypto::Certificate* cert = nullptr);
// The same checks but the usr image and its tree (for an image written in
// place, which the installer verifies in the slot before labelling it).
Status VerifyPayloadWithoutUsr(const Payload& p, const crypto::Certificate* cert = nullptr);

// The standard file names inside a payload directory.
inline constexpr const char* kUsrFile = "usr.erofs";
inline constexpr const char* kVerityFile = "usr.verity";
inline constexpr const char* kSignatureFile = "usr.verity-sig";
inline constexpr const char* kUkiFile = "uki.efi";

// Hashes the four standard files of `dir` and writes its payload.json.
Result<nlohmann::json> WriteManifest(const std::string& dir, const std::string& version,
                                     const std::string& root_hash);

struct Extracted {
  Payload payload;
  std::string slot;         // "A", "B"
  std::string uki_file;     // on the ESP
  nlohmann::json manifest;  // payload.json
};

// Who must have signed an extracted payload; a null certificate is not checked.
struct PayloadSigners {
  const crypto::Certificate* db = nullptr;      // the default UKI's Authenticode signature
  const crypto::Certificate* verity = nullptr;  // the slot's root-hash signature
};

// How ExtractPayload writes its copies: kSynced for an output (each file
// fsynced, then renamed into place, and payload.json naming them); kScratch
// for work files another step reads and removes (hull customize's base):
// written, never synced, and no payload.json (its digests would read every
// piece again; Extracted::manifest stays empty).
enum class Copies { kSynced, kScratch };

// Writes the payload of the slot the default boot entry names into `out_dir`
// (created; must be empty or absent), after verifying that slot: the UKI's
// signature against `signers.db` (pe::VerifyImage's errors, before the slot is
// read), then VerifySlot against its usrhash= with `signers.verity`.
Result<Extracted> ExtractPayload(const DiskIo& disk, EspIo& esp, const std::string& out_dir,
                                 const PayloadSigners& signers = {},
                                 Copies copies = Copies::kSynced);

}  // namespace hull::slot
