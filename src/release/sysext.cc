#include "release/sysext.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "base/file.h"
#include "crypto/file_digest.h"
#include "gpt/gpt.h"
#include "node/arch.h"
#include "node/os_release.h"
#include "slot/extension.h"

namespace hull::release {
namespace {

constexpr uint64_t kMaxManifestBytes = 1 << 20;

Result<std::string> Field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string() || it->get<std::string>().empty()) {
    return Errorf(ErrorCode::kInvalidArgument, "the sysext manifest lacks '{}' (a string)", key);
  }
  const std::string v = it->get<std::string>();
  if (v.find('/') != std::string::npos || v.find("..") != std::string::npos) {
    return Errorf(ErrorCode::kInvalidArgument, "the sysext manifest's '{}' ('{}') is not a name",
                  key, v);
  }
  return v;
}

}  // namespace

Result<SysextPublishResult> SysextTarget(const nlohmann::json& m) {
  if (!m.is_object())
    return Errorf(ErrorCode::kInvalidArgument, "the sysext manifest is not an object");
  HULL_ASSIGN_OR_RETURN(std::string name, Field(m, "name"));
  HULL_ASSIGN_OR_RETURN(std::string version, Field(m, "version"));
  HULL_ASSIGN_OR_RETURN(std::string arch, Field(m, "arch"));
  if (!node::ArchOfDebian(arch)) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "the sysext manifest's arch '{}' is not one Hull builds (amd64, arm64)", arch);
  }
  HULL_ASSIGN_OR_RETURN(std::string root_hash, Field(m, "root_hash"));
  if (root_hash.size() != 64 ||
      root_hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "the sysext manifest's root_hash is not 64 lower-case hex digits");
  }
  auto c = m.find("compatibility");
  if (c == m.end() || !c->is_object()) {
    return Errorf(ErrorCode::kInvalidArgument, "the sysext manifest lacks 'compatibility'");
  }
  HULL_ASSIGN_OR_RETURN(std::string id, Field(*c, "id"));
  nlohmann::json compat = {{"id", id}};
  int kinds = 0;
  for (const char* k : {"sysext_level", "version_id"}) {
    if (!c->contains(k)) continue;
    ++kinds;
    HULL_ASSIGN_OR_RETURN(compat[k], Field(*c, k));
  }
  if (kinds != 1) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "the sysext manifest's compatibility needs one of sysext_level, version_id");
  }
  // Optional: the services a node restarts (under its FleetLock slot) when
  // it updates this extension without a reboot.
  nlohmann::json restarts = nlohmann::json::array();
  if (auto it = m.find("restarts"); it != m.end()) {
    if (!it->is_array() || it->empty() || it->size() > node::kMaxRestartUnits)
      return Errorf(ErrorCode::kInvalidArgument,
                    "the sysext manifest's 'restarts' is not a list of 1 to {} units",
                    node::kMaxRestartUnits);
    for (const auto& u : *it) {
      if (!u.is_string() || !node::ValidRestartUnit(u.get<std::string>()) ||
          std::count(it->begin(), it->end(), u) != 1)
        return Errorf(ErrorCode::kInvalidArgument,
                      "the sysext manifest's 'restarts' holds {}: not a service name, or twice",
                      u.dump());
      restarts.push_back(u);
    }
  }
  SysextPublishResult r;
  r.target = fmt::format("hull-sysext-{}-{}-{}.raw", name, arch, version);
  r.custom = {{"payload", "sysext"}, {"sysext", name},          {"version", version},
              {"arch", arch},        {"compatibility", compat}, {"root_hash", root_hash}};
  if (!restarts.empty()) r.custom["restarts"] = restarts;
  return r;
}

Result<SysextPublishResult> PublishSysext(const std::string& repo, const tuf::RoleKeySet& keys,
                                          const std::string& image, const tuf::Expiry& expiry) {
  HULL_TRY(tuf::Repository::CanAddTargets(repo, keys));
  const std::filesystem::path p(image);
  const std::string manifest_path = (p.parent_path() / p.stem()).string() + ".json";
  HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(manifest_path, kMaxManifestBytes)
                                              .Context("the image's manifest (hull sysext build)"));
  auto m = nlohmann::json::parse(text, nullptr, false);
  if (m.is_discarded()) {
    return Errorf(ErrorCode::kInvalidArgument, "'{}' is not JSON", manifest_path);
  }
  HULL_ASSIGN_OR_RETURN(SysextPublishResult r, SysextTarget(m).Context(manifest_path));
  HULL_ASSIGN_OR_RETURN(std::string sha256, crypto::FileSha256Hex(image));
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(image, ec);
  if (ec || !m.contains("sha256") || m["sha256"] != sha256 || !m.contains("size") ||
      m["size"] != size) {
    return Errorf(ErrorCode::kVerifyFailed,
                  "'{}' is not the image '{}' describes (size or SHA-256 differ): publish the "
                  "pair one build wrote",
                  image, manifest_path);
  }
  // The arch nodes choose it by is the one its partitions are for (the node's
  // own reading of an extension image, slot::ExtensionArch).
  HULL_ASSIGN_OR_RETURN(gpt::Table table, gpt::ReadFile(image).Context(image));
  HULL_ASSIGN_OR_RETURN(gpt::Arch parts, slot::ExtensionArch(p.filename().string(), table));
  const node::ArchNames* names = node::ArchOfGpt(parts);
  if (!names || names->debian != m["arch"]) {
    return Errorf(ErrorCode::kVerifyFailed,
                  "'{}' is an {} image (DPS {} partition types) but its manifest says arch {}: "
                  "publish the pair one build wrote",
                  image, names ? names->debian : gpt::ArchName(parts), gpt::ArchName(parts),
                  m["arch"].get<std::string>());
  }
  HULL_ASSIGN_OR_RETURN(tuf::Targets current, tuf::Repository::ReadTargets(repo));
  if (current.targets.count(r.target)) {
    return Errorf(ErrorCode::kAlreadyExists, "'{}' is already published", r.target);
  }
  HULL_TRY(tuf::Repository::AddTargets(repo, keys, {{image, r.target, r.custom}}, expiry));
  return r;
}

}  // namespace hull::release
