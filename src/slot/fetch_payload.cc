#include "slot/fetch_payload.h"

#include <fmt/format.h>

#include <filesystem>

#include "base/file.h"
#include "node/boot_count.h"
#include "slot/check.h"
#include "slot/trust.h"
#include "slot/update.h"

namespace hull::slot {
namespace fs = std::filesystem;

Result<SlotRelease> FindSlotRelease(const tuf::Targets& targets, const ReleaseQuery& q) {
  std::vector<SlotRelease> all = SlotReleases(targets);
  std::vector<const SlotRelease*> match;
  std::string have;
  for (const SlotRelease& r : all) {
    have += fmt::format("{}{} ({}, {})", have.empty() ? "" : ", ", r.version, r.flavor, r.arch);
    if (node::CompareVersions(r.version, q.version) != 0) continue;
    if ((!q.flavor.empty() && r.flavor != q.flavor) || (!q.arch.empty() && r.arch != q.arch))
      continue;
    match.push_back(&r);
  }
  if (match.empty())
    return Errorf(ErrorCode::kNotFound,
                  "no release {}{}{} with a complete slot payload (the repository has: {})",
                  q.version, q.flavor.empty() ? "" : " of flavor " + q.flavor,
                  q.arch.empty() ? "" : " for " + q.arch, have.empty() ? "none" : have);
  if (match.size() > 1)
    return Errorf(ErrorCode::kInvalidArgument,
                  "release {} is published for several flavors or architectures ({}): give the "
                  "flavor and the architecture",
                  q.version, have);
  if (match.front()->withdrawn)
    return Errorf(ErrorCode::kRefused,
                  "release {} was withdrawn by its publisher (hull release pull): nodes never "
                  "install it",
                  q.version);
  return *match.front();
}

Result<Extracted> FetchPayload(tuf::Client& client, const SlotRelease& release,
                               const std::string& out_dir, const PayloadSigners& signers) {
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !fs::is_empty(out_dir, ec))
    return Errorf(ErrorCode::kAlreadyExists, "{} exists and is not empty", out_dir);
  fs::create_directories(out_dir, ec);
  if (ec) return ErrnoError(ec.value(), "creating", out_dir);
  Extracted x;
  x.uki_file = kUkiFile;
  Payload& p = x.payload;
  p.version = release.version;
  p.root_hash = release.root_hash;
  for (auto [key, file] : {std::pair{"signature", kSignatureFile},
                           {"uki", kUkiFile},
                           {"verity", kVerityFile},
                           {"usr", kUsrFile}}) {
    const std::string& name = release.targets.at(key);
    HULL_TRY(client.FetchTargetTo(name, out_dir + "/" + file).Context("downloading " + name));
  }
  p.usr_path = out_dir + "/" + kUsrFile;
  p.verity_path = out_dir + "/" + kVerityFile;
  HULL_ASSIGN_OR_RETURN(p.signature,
                        ReadFileBytes(out_dir + "/" + kSignatureFile, kMaxSignatureBytes));
  HULL_ASSIGN_OR_RETURN(p.uki, ReadFileBytes(out_dir + "/" + kUkiFile, kMaxUkiBytes));
  HULL_TRY(VerifySigners(p.version, p.uki, p.signature,
                         Signers{.verity = signers.verity, .db = signers.db}));
  HULL_TRY(VerifyPayload(p, signers.verity).Context("release " + p.version));
  HULL_ASSIGN_OR_RETURN(x.manifest, WriteManifest(out_dir, p.version, p.root_hash));
  return x;
}

}  // namespace hull::slot
