#include "slot/update.h"

#include <map>

#include "tuf/releases.h"

namespace hull::slot {
namespace {

struct Piece {
  const char* key;
  const char* file;
};
constexpr Piece kPieces[] = {
    {"usr", kUsrFile}, {"verity", kVerityFile}, {"signature", kSignatureFile}, {"uki", kUkiFile}};

struct Candidate {
  std::string version, root_hash;
  std::map<std::string, std::string> targets;  // piece key -> target name
  uint64_t bytes = 0;
};

std::string Str(const nlohmann::json& c, const char* k) {
  auto it = c.find(k);
  return it != c.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Releases with all four pieces and one root hash, newest first.
std::vector<Candidate> Candidates(const tuf::Targets& targets, const ApplyFilters& f) {
  std::map<std::array<uint64_t, 3>, Candidate> by_version;
  std::map<std::array<uint64_t, 3>, bool> inconsistent;
  for (const auto& [name, t] : targets.targets) {
    const auto& c = t.custom;
    if (!c.is_object() || Str(c, "payload").empty()) continue;
    if ((!f.flavor.empty() && Str(c, "flavor") != f.flavor) ||
        (!f.arch.empty() && Str(c, "arch") != f.arch) ||
        (!f.channel.empty() && Str(c, "channel") != f.channel))
      continue;
    auto v = tuf::ParseReleaseVersion(Str(c, "version"));
    if (!v.ok() || f.skip_versions.count(Str(c, "version"))) continue;
    Candidate& cand = by_version[*v];
    if (!cand.root_hash.empty() && cand.root_hash != Str(c, "root_hash")) inconsistent[*v] = true;
    cand.version = Str(c, "version");
    cand.root_hash = Str(c, "root_hash");
    if (!cand.targets.emplace(Str(c, "payload"), name).second) inconsistent[*v] = true;
    cand.bytes += t.length;
  }
  std::vector<Candidate> out;
  for (auto it = by_version.rbegin(); it != by_version.rend(); ++it) {
    bool complete = true;
    for (const Piece& p : kPieces) complete &= it->second.targets.count(p.key) == 1;
    if (complete && !inconsistent[it->first]) out.push_back(it->second);
  }
  return out;
}

}  // namespace

Result<std::vector<std::string>> PublishPayload(const std::string& repo,
                                                const tuf::RoleKeySet& keys, const std::string& dir,
                                                const ReleaseInfo& info) {
  HULL_ASSIGN_OR_RETURN(Payload p, LoadPayload(dir));
  HULL_TRY(tuf::ParseReleaseVersion(p.version).Context("payload version"));
  HULL_TRY(VerifyPayload(p));
  std::vector<std::string> names;
  for (const Piece& piece : kPieces) {
    std::string name =
        fmt::format("hull-{}-{}-{}.{}", info.flavor, info.arch, p.version, piece.file);
    nlohmann::json custom{{"flavor", info.flavor},
                          {"arch", info.arch},
                          {"version", p.version},
                          {"channel", info.channel},
                          {"rollout_percent", info.rollout_percent},
                          {"payload", piece.key},
                          {"root_hash", p.root_hash}};
    HULL_TRY(tuf::Repository::AddTarget(repo, keys, dir + "/" + piece.file, name, custom));
    names.push_back(name);
  }
  return names;
}

Result<ApplyResult> ApplyUpdate(tuf::Client& client, DiskIo& disk, EspIo& esp,
                                const ApplyFilters& filters, const InstallOptions& options) {
  HULL_TRY(client.Refresh());
  auto cands = Candidates(client.targets(), filters);
  if (cands.empty())
    return Error(ErrorCode::kNotFound, "no release with a complete slot payload matches");
  const Candidate& c = cands.front();
  ApplyResult r;
  r.version = c.version;
  r.root_hash = c.root_hash;
  r.full_size = c.bytes;
  HULL_ASSIGN_OR_RETURN(DiskState st, ReadDiskState(disk, esp));
  std::string active = options.active_usrhash;
  if (active.empty() && st.default_entry()) active = st.default_entry()->usrhash;
  if (active == c.root_hash) {
    r.up_to_date = true;
    return r;
  }
  HULL_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create("hull-update"));
  Payload p;
  p.version = c.version;
  p.root_hash = c.root_hash;
  for (const Piece& piece : kPieces) {
    const std::string& name = c.targets.at(piece.key);
    HULL_ASSIGN_OR_RETURN(Bytes data, client.FetchTarget(name).Context("downloading " + name));
    r.downloaded += data.size();
    std::string key = piece.key;
    if (key == "signature")
      p.signature = std::move(data);
    else if (key == "uki")
      p.uki = std::move(data);
    else {
      std::string path = tmp.path() + "/" + piece.file;
      HULL_TRY(WriteFileAtomic(path, data));
      (key == "usr" ? p.usr_path : p.verity_path) = path;
    }
  }
  HULL_ASSIGN_OR_RETURN(r.install, Install(disk, esp, p, options));
  return r;
}

}  // namespace hull::slot
