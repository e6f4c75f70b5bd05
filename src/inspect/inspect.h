// `hull inspect`: reads any DPS disk image offline and checks what it claims.
//  - GPT: read and validated (src/gpt), every partition listed by type name;
//  - each usr slot (paired as slot::PairSlots does): the findings of
//    slot::CheckSlot, the one slot verifier (src/slot/check.h): sizes, the
//    whole dm-verity tree recomputed from the data partition, the root hash
//    compared with the signature partition's and with the DPS partition UUID
//    derivation, the PKCS#7 signature checked against --verity-cert;
//  - the ESP (FAT, read with mtools): every UKI under /EFI/Linux with its
//    version, cmdline, usrhash= (must name a slot's root hash), signer
//    (checked against --db-cert) and predicted PCR 11.
// Errors: only for an unreadable image or GPT; findings go into the report.
#pragma once

#include <string>

#include "base/result.h"
#include "inspect/report.h"

namespace hull::inspect {

struct Options {
  std::string verity_cert;   // verifies usr-verity-sig signatures when set
  std::string db_cert;       // verifies UKI Authenticode signatures when set
  bool verify_trees = true;  // recompute each verity tree (reads every block)
};

Result<Report> InspectImage(const std::string& path, const Options& options = {});

}  // namespace hull::inspect
