#include "customize/trust.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "base/file.h"
#include "base/hex.h"
#include "build/node_files.h"
#include "customize/tree_path.h"
#include "node/config.h"
#include "slot/trust.h"
#include "spec/spec.h"

namespace hull::customize {
namespace fs = std::filesystem;

namespace {

constexpr const char* kKinds[] = {"db", "verity"};

// node::kTrustDir inside the /usr tree.
std::string TrustRel() { return std::string(node::kTrustDir).substr(std::string("/usr/").size()); }

struct Entry {
  std::string name;  // file name
  crypto::Certificate cert;
  Bytes data;  // the bytes to write (customizer's) or as found (base's)
};

// The base's certificates of `kind`, in name order, read without following
// a link. An absent folder is an empty set.
Result<std::vector<Entry>> ReadBase(const std::string& usr, const std::string& kind) {
  const std::string rel = TrustRel() + "/" + kind;
  struct stat st {};
  if (::lstat((usr + "/" + rel).c_str(), &st) != 0) return std::vector<Entry>{};
  HULL_ASSIGN_OR_RETURN(std::string dir, PrepareTarget(usr, rel, "trust", true));
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".crt") names.push_back(e.path().filename().string());
  if (ec) return Errorf(ErrorCode::kIo, "listing {}: {}", dir, ec.message());
  std::sort(names.begin(), names.end());
  std::vector<Entry> out;
  for (const auto& n : names) {
    HULL_ASSIGN_OR_RETURN(Bytes data, ReadTreeFile(usr, rel + "/" + n, slot::kMaxTrustCertBytes));
    HULL_ASSIGN_OR_RETURN(
        auto cert, slot::ParseTrustCertificate(data, "the base image's /usr/" + rel + "/" + n));
    out.push_back({n, std::move(cert), std::move(data)});
  }
  return out;
}

// The customizer's set, by the one rule `hull build` writes it with.
Result<std::map<std::string, std::vector<Entry>>> CustomizerSet(const build::SigningKeys& keys,
                                                                const std::string& key_dir,
                                                                const std::string& work) {
  spec::ImageSpec s;
  HULL_TRY(build::AddTrustSet(keys, key_dir, work, s));
  std::map<std::string, std::vector<Entry>> out;
  for (const auto& f : s.files) {
    const fs::path dest(f.dest);
    const std::string kind = dest.parent_path().filename().string();
    HULL_ASSIGN_OR_RETURN(Bytes data, ReadFileBytes(f.source, slot::kMaxTrustCertBytes));
    HULL_ASSIGN_OR_RETURN(auto cert, slot::ParseTrustCertificate(data, f.source));
    out[kind].push_back({dest.filename().string(), std::move(cert), std::move(data)});
  }
  return out;
}

bool Has(const std::vector<Entry>& set, const crypto::Certificate& c) {
  return std::any_of(set.begin(), set.end(),
                     [&](const Entry& e) { return e.cert.Fingerprint() == c.Fingerprint(); });
}

}  // namespace

const char* TrustModeName(TrustMode m) {
  switch (m) {
    case TrustMode::kKeep:
      return "keep";
    case TrustMode::kAdd:
      return "add";
    case TrustMode::kReplace:
      break;
  }
  return "replace";
}

Result<std::vector<Change>> ApplyTrust(TrustMode mode, const std::string& usr,
                                       const build::SigningKeys& keys, const std::string& key_dir,
                                       const std::string& work) {
  const std::string top = std::string(node::kTrustDir);
  std::vector<Change> changes;
  if (mode == TrustMode::kKeep) {
    changes.push_back({"trust", top, "keep: the base's certificates"});
    return changes;
  }
  // Only `add` reads the base's set: `replace` drops it unread.
  std::map<std::string, std::vector<Entry>> base;
  for (const char* kind : kKinds) {
    if (mode == TrustMode::kAdd) {
      HULL_ASSIGN_OR_RETURN(base[kind], ReadBase(usr, kind));
    }
  }
  HULL_ASSIGN_OR_RETURN(auto mine, CustomizerSet(keys, key_dir, work));
  if (mode == TrustMode::kReplace) {
    // No link on the way (PrepareTarget), then the whole folder goes.
    HULL_ASSIGN_OR_RETURN(std::string dir, PrepareTarget(usr, TrustRel(), "trust", true));
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) return Errorf(ErrorCode::kIo, "removing {}: {}", dir, ec.message());
  }
  size_t added = 0;
  for (const char* kind : kKinds) {
    const std::vector<Entry>& kept = mode == TrustMode::kAdd ? base[kind] : std::vector<Entry>{};
    size_t total = kept.size();
    for (const Entry& e : mine[kind]) {
      if (Has(kept, e.cert)) continue;
      const std::string name = mode == TrustMode::kAdd ? "customize-" + e.name : e.name;
      const std::string where =
          fmt::format("trust.mode {}: {}/{}/{}", TrustModeName(mode), top, kind, name);
      if (std::any_of(kept.begin(), kept.end(), [&](const Entry& k) { return k.name == name; }))
        return Errorf(ErrorCode::kRefused, "{}: the base's trust set has a file of that name",
                      where);
      if (++total > node::kMaxTrustCerts)
        return Errorf(ErrorCode::kInvalidArgument,
                      "{}: more than {} {} certificates in the trust set", where,
                      node::kMaxTrustCerts, kind);
      HULL_TRY(WriteInTree(usr, TrustRel() + "/" + kind + "/" + name, e.data, 0644, where));
      changes.push_back({"trust", fmt::format("{}/{}/{}", top, kind, name),
                         "sha256:" + HexEncode(e.cert.Fingerprint())});
      ++added;
    }
  }
  changes.push_back(
      {"trust", top,
       mode == TrustMode::kAdd
           ? fmt::format("add: the base's {} db and {} verity certificates and {} of --keys",
                         base["db"].size(), base["verity"].size(), added)
           : fmt::format("replace: the base's certificates by the {} of --keys", added)});
  return changes;
}

}  // namespace hull::customize
