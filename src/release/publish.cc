#include "release/publish.h"

#include <chrono>
#include <filesystem>
#include <map>

#include "base/hex.h"
#include "delta/patch.h"
#include "node/arch.h"
#include "node/os_release.h"
#include "pe/authenticode.h"
#include "pe/pe.h"
#include "release/offline.h"
#include "slot/payload.h"
#include "slot/state.h"
#include "slot/trust.h"
#include "tuf/releases.h"
#include "verity/published.h"
#include "verity/signature.h"
#include "verity/tree.h"

namespace hull::release {
namespace {
namespace fs = std::filesystem;
using slot::kSignatureFile;
using slot::kUkiFile;
using slot::kUsrFile;
using slot::kVerityFile;
using slot::Payload;

class Timer {
 public:
  explicit Timer(std::vector<PublishStep>& steps) : steps_(steps) {}
  void Step(std::string name, uint64_t bytes = 0) {
    auto now = std::chrono::steady_clock::now();
    steps_.push_back({std::move(name), std::chrono::duration<double>(now - t_).count(), bytes});
    t_ = now;
  }

 private:
  std::vector<PublishStep>& steps_;
  std::chrono::steady_clock::time_point t_ = std::chrono::steady_clock::now();
};

std::string Str(const nlohmann::json& c, const char* k) {
  auto it = c.find(k);
  return it != c.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A published release of the same flavor/arch: its usr and uki files.
struct Previous {
  std::string version, root_hash, usr_file, uki_file;
};

Result<std::vector<Previous>> PreviousReleases(const std::string& repo, const tuf::Targets& t,
                                               const ReleaseInfo& info,
                                               const std::array<uint64_t, 3>& version, unsigned k) {
  std::map<std::array<uint64_t, 3>, Previous> by_version;
  for (const auto& [name, f] : t.targets) {
    const auto& c = f.custom;
    if (!c.is_object() || Str(c, "flavor") != info.flavor || Str(c, "arch") != info.arch) continue;
    std::string payload = Str(c, "payload");
    if (payload != "usr" && payload != "uki") continue;
    auto v = tuf::ParseReleaseVersion(Str(c, "version"));
    if (!v.ok()) continue;
    if (*v == version) {
      return Errorf(ErrorCode::kAlreadyExists, "release {} ({}, {}) is already published",
                    Str(c, "version"), info.flavor, info.arch);
    }
    if (*v > version) continue;
    auto h = f.hashes.find("sha256");
    if (h == f.hashes.end()) continue;
    Previous& p = by_version[*v];
    p.version = Str(c, "version");
    p.root_hash = Str(c, "root_hash");
    (payload == "usr" ? p.usr_file : p.uki_file) =
        fmt::format("{}/targets/{}.{}", repo, h->second, name);
  }
  std::vector<Previous> out;
  for (auto it = by_version.rbegin(); it != by_version.rend() && out.size() < k; ++it) {
    if (!it->second.usr_file.empty() && !it->second.uki_file.empty()) out.push_back(it->second);
  }
  return out;
}

// The payload directory of SOURCE (extracting a disk image into `tmp`).
Result<std::string> PayloadDir(const std::string& source, const std::string& tmp) {
  std::error_code ec;
  std::string image = source;
  if (fs::is_directory(source, ec)) {
    if (fs::exists(source + "/payload.json", ec)) return source;
    image = source + "/disk.raw";
    if (!fs::is_regular_file(image, ec)) {
      return Errorf(ErrorCode::kInvalidArgument, "{} holds neither payload.json nor disk.raw",
                    source);
    }
  } else if (!fs::is_regular_file(source, ec) && !fs::is_block_file(source, ec)) {
    return Errorf(ErrorCode::kNotFound, "no such file or directory: {}", source);
  }
  HULL_ASSIGN_OR_RETURN(slot::OpenedDisk o, slot::OpenDisk(image, /*writable=*/false));
  std::string out = tmp + "/payload";
  HULL_TRY(slot::ExtractPayload(*o.disk, *o.esp, out).Context("extracting " + image));
  return out;
}

nlohmann::json ReleaseCustom(const ReleaseInfo& info, const Payload& p, const char* piece) {
  return {{"flavor", info.flavor},
          {"arch", info.arch},
          {"version", p.version},
          {"channel", info.channel},
          {"rollout_percent", info.rollout_percent},
          {"payload", piece},
          {"root_hash", p.root_hash}};
}

// The SYSEXT_LEVEL the release's os-release declares (its UKI's .osrel, the
// image's /usr/lib/os-release): a node picks the extensions for the release
// by it before installing it (docs/sysext.md). "" when it declares none;
// kInvalidArgument for a value the node would refuse.
Result<std::string> SysextLevelOf(const Payload& p) {
  HULL_ASSIGN_OR_RETURN(slot::UkiFacts facts,
                        slot::ReadUkiFacts(p.uki).Context("reading the release's UKI"));
  if (!facts.sysext_level.empty() && !node::ValidSysextLevel(facts.sysext_level))
    return Errorf(ErrorCode::kInvalidArgument,
                  "the release's os-release (its UKI's .osrel) says SYSEXT_LEVEL='{}': not a "
                  "level (lower-case letters, digits, '.', '_', '-', at most 64); rebuild the "
                  "image",
                  facts.sysext_level);
  return facts.sysext_level;
}

// What the release declares about itself (slot/trust.h): its sizes and the
// certificates that signed its root hash (the signature partition names its
// fingerprint) and its UKI (the signer certificate its Authenticode
// signature embeds). A node checks these before it downloads anything and
// verifies the pieces against the same certificates after.
Result<slot::Declaration> Declare(const Payload& p) {
  slot::Declaration d;
  std::error_code ec;
  d.usr = fs::file_size(p.usr_path, ec);
  if (ec) return ErrnoError(ec.value(), "size of", p.usr_path);
  d.verity = fs::file_size(p.verity_path, ec);
  if (ec) return ErrnoError(ec.value(), "size of", p.verity_path);
  d.uki = p.uki.size();
  HULL_ASSIGN_OR_RETURN(
      auto sig,
      verity::DecodeSignaturePartition(p.signature).Context("payload signature partition"));
  d.verity_signer = sig.certificate_fingerprint;
  auto signers = pe::SignerFingerprints(p.uki);
  if (signers.ok()) {
    d.uki_signer = HexEncode(signers->front());
  } else if (signers.error().code() != ErrorCode::kNotFound) {
    return std::move(signers).error().Wrap("payload UKI signature");
  }
  // Round-trips through the node's parser: a malformed fingerprint is
  // refused here, not on every node.
  HULL_ASSIGN_OR_RETURN(
      d, slot::ParseDeclaration(slot::DeclarationJson(d)).Context("payload declaration"));
  return d;
}

// The usr and UKI patches from each previous release.
Status AddDeltas(const PublishOptions& opts, const Payload& p,
                 const std::vector<Previous>& previous, const std::string& stem,
                 const std::string& uki_path, const std::string& tmp, Timer& timer,
                 std::vector<tuf::Repository::NewTarget>& add,
                 std::vector<std::string>& from_versions) {
  delta::PatchOptions po;
  po.level = opts.delta_level;
  po.threads = opts.threads;
  for (const Previous& old : previous) {
    for (auto [piece, from, to] :
         {std::tuple{"usr", old.usr_file, p.usr_path}, {"uki", old.uki_file, uki_path}}) {
      std::string out = fmt::format("{}/{}.from-{}.zst", tmp, piece, old.version);
      HULL_ASSIGN_OR_RETURN(delta::PatchStats ps, delta::MakePatch(from, to, out, po));
      timer.Step(fmt::format("delta {} from {}", piece, old.version), ps.patch_size);
      nlohmann::json custom =
          ReleaseCustom(opts.info, p, std::string(piece) == "usr" ? "usr-delta" : "uki-delta");
      custom["from"] = old.version;
      custom["from_root_hash"] = old.root_hash;
      add.push_back({out, fmt::format("{}.{}.from-{}.zst", stem, piece, old.version), custom});
    }
    from_versions.push_back(old.version);
  }
  return Ok();
}

// The Debian architecture of a payload: its UKI's COFF machine (node/arch.h
// names the architectures). An arch given (--arch) must be the payload's: a
// release published under another architecture's name would be chosen by
// nodes that cannot boot it.
Result<std::string> PayloadArch(const Payload& p, const std::string& given) {
  HULL_ASSIGN_OR_RETURN(pe::PeImage pe, pe::ParsePe(p.uki).Context("payload UKI"));
  const node::ArchNames* names = node::ArchOfCoffMachine(pe.machine);
  if (!names) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "the payload's UKI is for {}, an architecture Hull does not publish (amd64, "
                  "arm64)",
                  pe::MachineName(pe.machine));
  }
  const std::string arch(names->debian);
  if (!given.empty() && given != arch) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "--arch {} but the payload's UKI is for {} ({}): publish it with --arch {} or "
                  "without --arch",
                  given, arch, pe::MachineName(pe.machine), arch);
  }
  return arch;
}

}  // namespace

Result<PublishResult> PublishRelease(const std::string& repo, const tuf::RoleKeySet& keys,
                                     const std::string& source, const PublishOptions& given) {
  PublishOptions opts = given;
  // Before minutes of deltas: the keys, or a usable signing directory.
  if (opts.sign_offline.empty()) {
    HULL_TRY(tuf::Repository::CanAddTargets(repo, keys));
  } else {
    HULL_TRY(signing::SigningSession::Open(
        {.sign_offline_dir = opts.sign_offline, .inject_dir = {}}, nullptr));
  }
  PublishResult r;
  Timer timer(r.steps);
  HULL_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create("hull-publish"));
  HULL_ASSIGN_OR_RETURN(std::string dir, PayloadDir(source, tmp.path()));
  if (dir != source) timer.Step("extract");
  HULL_ASSIGN_OR_RETURN(Payload p, slot::LoadPayload(dir));
  HULL_ASSIGN_OR_RETURN(opts.info.arch, PayloadArch(p, opts.info.arch));
  HULL_ASSIGN_OR_RETURN(auto version,
                        tuf::ParseReleaseVersion(p.version).Context("payload version"));
  if (!opts.expect_version.empty() && opts.expect_version != p.version) {
    return Errorf(ErrorCode::kInvalidArgument, "--version {} but the payload is {}",
                  opts.expect_version, p.version);
  }
  HULL_TRY(slot::VerifyPayload(p));
  HULL_ASSIGN_OR_RETURN(slot::Declaration declared, Declare(p));
  timer.Step("verify");
  r.version = p.version;
  r.root_hash = p.root_hash;
  HULL_ASSIGN_OR_RETURN(tuf::Targets current, tuf::Repository::ReadTargets(repo));
  HULL_ASSIGN_OR_RETURN(auto previous,
                        PreviousReleases(repo, current, opts.info, version, opts.deltas));

  const std::string stem =
      fmt::format("hull-{}-{}-{}", opts.info.flavor, opts.info.arch, p.version);
  std::vector<tuf::Repository::NewTarget> add;
  for (auto [key, file] : {std::pair{"usr", kUsrFile},
                           {"verity", kVerityFile},
                           {"signature", kSignatureFile},
                           {"uki", kUkiFile}}) {
    nlohmann::json custom = ReleaseCustom(opts.info, p, key);
    if (std::string(key) == "usr") {
      custom["release"] = slot::DeclarationJson(declared);
      HULL_ASSIGN_OR_RETURN(std::string level, SysextLevelOf(p));
      if (!level.empty()) custom["sysext_level"] = level;
    }
    std::string path = dir + "/" + file;
    if (std::string(key) == "verity") {
      HULL_ASSIGN_OR_RETURN(File hash, File::OpenRead(path));
      HULL_ASSIGN_OR_RETURN(verity::VerityParams vp, verity::ReadSuperblock(hash));
      HULL_ASSIGN_OR_RETURN(uint64_t size, hash.Size());
      custom["verity"] = verity::PublishedParams(vp, size);
    }
    r.full_bytes += fs::file_size(path);
    add.push_back({path, stem + "." + file, custom});
  }
  const std::string uki_path = tmp.path() + "/new.uki";
  HULL_TRY(WriteFileAtomic(uki_path, p.uki));

  HULL_TRY(AddDeltas(opts, p, previous, stem, uki_path, tmp.path(), timer, add, r.delta_from));

  if (opts.chunks) {
    delta::SplitOptions so;
    so.params = opts.chunker;
    so.level = opts.chunk_level;
    HULL_ASSIGN_OR_RETURN(delta::ChunkIndex index,
                          delta::SplitImage(p.usr_path, repo, so, &r.chunks));
    HULL_ASSIGN_OR_RETURN(Bytes encoded, delta::EncodeIndex(index));
    const std::string cidx = tmp.path() + "/usr.cidx";
    HULL_TRY(WriteFileAtomic(cidx, encoded));
    timer.Step("chunks", r.chunks.new_bytes);
    add.push_back({cidx, stem + ".usr.cidx", ReleaseCustom(opts.info, p, "usr-chunks")});
  }

  if (opts.sign_offline.empty()) {
    HULL_TRY(tuf::Repository::AddTargets(repo, keys, add, opts.expiry));
    timer.Step("sign");
  } else {
    HULL_ASSIGN_OR_RETURN(auto staged, tuf::Repository::StageTargets(repo, add, {}, opts.expiry));
    HULL_TRY(RecordTargets(repo, staged, "release add", opts.sign_offline));
    timer.Step("stage for offline signing");
  }
  for (const auto& t : add) r.targets.push_back(t.name);
  return r;
}

Result<std::vector<std::string>> PublishPayload(const std::string& repo,
                                                const tuf::RoleKeySet& keys, const std::string& dir,
                                                const ReleaseInfo& info) {
  PublishOptions o;
  o.info = info;
  HULL_ASSIGN_OR_RETURN(PublishResult r, PublishRelease(repo, keys, dir, o));
  return r.targets;
}

}  // namespace hull::release
