#include "slot/release_check.h"

#include "slot/installer.h"

namespace hull::slot {

Result<Signers> CheckReleaseBeforeDownload(tuf::Client& client, const DiskState& st,
                                           const SlotRelease& release,
                                           const std::string& active_root_hash, int target_slot,
                                           const TrustSet* trust) {
  PieceLengths len;
  const tuf::TargetFile* usr = nullptr;
  for (auto [key, out] : {std::pair{"usr", &len.usr},
                          {"verity", &len.verity},
                          {"signature", &len.signature},
                          {"uki", &len.uki}}) {
    auto it = release.targets.find(key);
    if (it == release.targets.end())
      return Errorf(ErrorCode::kNotFound, "release {} has no {} piece", release.version, key);
    HULL_ASSIGN_OR_RETURN(const tuf::TargetFile* t, client.FindTarget(it->second));
    *out = t->length;
    if (std::string(key) == "usr") usr = t;
  }
  std::optional<Declaration> declared;
  if (usr->custom.is_object() && usr->custom.contains("release")) {
    HULL_ASSIGN_OR_RETURN(
        declared, ParseDeclaration(usr->custom["release"]).Context("release " + release.version));
  }
  int active = active_root_hash.empty() ? -1 : st.SlotOfRootHash(active_root_hash);
  int target = target_slot >= 0 ? target_slot : TargetSlot(st, active);
  if (target < 0 || size_t(target) >= st.slots.size())
    return Errorf(ErrorCode::kUnavailable, "the disk has {} usr slot(s) and none is inactive",
                  st.slots.size());
  static const TrustSet kNone;
  return CheckBeforeDownload(release.version, len, declared, st.slots[size_t(target)],
                             trust ? *trust : kNone);
}

bool IsReleasesOwn(ErrorCode code) {
  return code == ErrorCode::kRefused || code == ErrorCode::kVerifyFailed ||
         code == ErrorCode::kCorrupt || code == ErrorCode::kBadSignature;
}

}  // namespace hull::slot
