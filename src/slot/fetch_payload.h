// A published release's payload fetched whole from a TUF repository into a
// payload directory (payload.h's form, as `hull slot extract` writes it):
// what `hull customize --from-release` starts from. The host-side twin of
// the node's ApplyRelease (update.h), without a disk: no deltas or chunks,
// every piece downloaded in full.
#pragma once

#include <string>

#include "slot/choose.h"
#include "slot/payload.h"
#include "tuf/client.h"

namespace hull::slot {

struct ReleaseQuery {
  std::string version;       // YYYYMM.DD.N, compared with CompareVersions
  std::string flavor, arch;  // empty: any (but only one may match)
};

// The release among SlotReleases(targets) (a refreshed client's) that
// `query` names. kNotFound "no release V with a complete slot payload (the
// repository has: ...)"; kInvalidArgument when several flavors or
// architectures publish V (give them); kRefused for a release its publisher
// withdrew (`hull release pull`).
Result<SlotRelease> FindSlotRelease(const tuf::Targets& targets, const ReleaseQuery& query);

// Downloads the four pieces of `release` into `out_dir` (created; must be
// absent or empty), each checked against its TUF length and hashes while it
// is written (tuf::Client::FetchTargetTo: kVerifyFailed naming the target),
// then the payload: the UKI's Authenticode signature against signers.db,
// the root hash signature against signers.verity (VerifySigners's errors),
// the whole verity tree over the usr image and the UKI's usrhash= and
// version (VerifyPayload's errors). Only then is payload.json written, so a
// directory with payload.json is a verified payload. `uki_file` of the
// result is kUkiFile.
Result<Extracted> FetchPayload(tuf::Client& client, const SlotRelease& release,
                               const std::string& out_dir, const PayloadSigners& signers = {});

}  // namespace hull::slot
