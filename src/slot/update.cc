#include "slot/update.h"

#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <tuple>

#include "base/hex.h"
#include "crypto/digest.h"
#include "crypto/file_digest.h"
#include "delta/assemble.h"
#include "delta/patch.h"
#include "delta/range.h"
#include "gpt/types.h"
#include "node/arch.h"
#include "slot/installer.h"
#include "slot/payload.h"
#include "slot/release_check.h"
#include "tuf/releases.h"
#include "verity/published.h"
#include "verity/tree.h"

namespace hull::slot {
namespace {

struct Piece {
  const char* key;
  const char* file;
};
constexpr Piece kPieces[] = {
    {"usr", kUsrFile}, {"verity", kVerityFile}, {"signature", kSignatureFile}, {"uki", kUkiFile}};

std::string Str(const nlohmann::json& c, const char* k) {
  auto it = c.find(k);
  return it != c.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool IsPiece(const std::string& key) {
  for (const Piece& p : kPieces)
    if (key == p.key) return true;
  return false;
}

Result<Bytes> TargetSha256(tuf::Client& client, const std::string& name, uint64_t* length) {
  HULL_ASSIGN_OR_RETURN(const tuf::TargetFile* f, client.FindTarget(name));
  auto h = f->hashes.find("sha256");
  if (h == f->hashes.end())
    return Errorf(ErrorCode::kUnsupported, "target {} has no sha256 hash", name);
  *length = f->length;
  return HexDecode(h->second);
}

// What the node runs now: the range of its usr image in the active slot
// (the seed of deltas and chunks, read in place) and its UKI.
struct Active {
  std::string root_hash;
  std::optional<delta::FileRange> usr;  // unset when the active slot is unknown
  std::string uki_seed;                 // "" when no UKI names the active root hash
};

// The seeds are an optimisation: when one cannot be read (a damaged slot,
// an unreadable UKI) the pieces are downloaded whole instead.
Active ReadActive(const DiskIo& disk, EspIo& esp, const DiskState& st, const std::string& root_hash,
                  bool want_usr, const std::string& tmp) {
  Active a;
  a.root_hash = root_hash;
  int index = st.SlotOfRootHash(root_hash);
  if (index < 0) return a;
  const Slot& s = st.slots[size_t(index)];
  auto params = verity::ReadSuperblock(disk.file(), s.Offset(s.verity));
  uint64_t length = 0;
  if (want_usr && params.ok() &&
      CheckedMul(params->data_blocks, uint64_t(params->data_block_size), &length) &&
      length <= s.Size(s.usr)) {
    a.usr = delta::FileRange{&disk.file(), s.Offset(s.usr), length};
  }
  for (const Uki& u : st.ukis) {
    if (u.usrhash != root_hash) continue;
    auto uki = esp.Read(u.file, kMaxUkiBytes);
    if (uki.ok() && WriteFileAtomic(tmp + "/active.uki", *uki, 0600).ok())
      a.uki_seed = tmp + "/active.uki";
    break;
  }
  return a;
}

struct Fetch {
  tuf::Client& client;
  ApplyResult& r;
  std::string tmp;

  Result<uint64_t> Target(const std::string& name, const std::string& path) {
    HULL_ASSIGN_OR_RETURN(uint64_t n,
                          client.FetchTargetTo(name, path).Context("downloading " + name));
    r.downloaded += n;
    return n;
  }

  // Downloads a target straight into the disk at [offset, offset +
  // capacity) (the target slot's usr partition), hashing as it goes: one
  // bounded buffer, no file.
  Result<uint64_t> TargetInto(const std::string& name, DiskIo& disk, uint64_t offset,
                              uint64_t capacity) {
    uint64_t at = 0;
    auto sink = [&](ByteSpan piece) -> Status {
      if (piece.size() > capacity - at)
        return Errorf(ErrorCode::kRefused, "{} outgrows the slot's {} bytes", name, capacity);
      HULL_TRY(disk.WriteAt(offset + at, piece));
      at += piece.size();
      return Ok();
    };
    HULL_ASSIGN_OR_RETURN(uint64_t n,
                          client.StreamTarget(name, sink).Context("downloading " + name));
    r.downloaded += n;
    return n;
  }

  Result<Bytes> Sha256Of(const std::string& target, uint64_t* length) {
    return TargetSha256(client, target, length);
  }
};

// Where a new usr image goes: the target slot's usr partition, written in
// place (null file: through DiskIo::WriteAt only, so no delta or chunks).
struct UsrOut {
  DiskIo& disk;
  delta::WritableRange range;
};

// The usr delta from the active release, downloaded before the target slot
// is touched: a delta that fails TUF's check is an error (the mirror served
// bytes the targets role did not sign) and leaves the disk as it was.
struct UsrPatch {
  const Delta* delta = nullptr;  // null: none applies
  std::string path;
};

Result<UsrPatch> FetchUsrPatch(Fetch& f, const std::vector<Delta>& deltas, const Active& a,
                               bool writable, PieceMethod& m) {
  UsrPatch p;
  if (!a.usr || !writable) return p;
  for (const Delta& d : deltas) {
    if (d.from_root_hash != a.root_hash) continue;
    // A name this code makes: a target name is never a local path.
    p.path = f.tmp + "/delta.patch";
    HULL_ASSIGN_OR_RETURN(m.downloaded, f.Target(d.target, p.path));
    p.delta = &d;
    return p;
  }
  return p;
}

// Applies the delta into the target slot: true when it now holds the
// target's bytes; one that does not reproduce the target (the node's seed
// differs) falls back.
Result<bool> UsrViaDelta(Fetch& f, const UsrPatch& p, const Active& a, const std::string& target,
                         const UsrOut& out, PieceMethod& m) {
  if (!p.delta) return false;
  uint64_t length = 0;
  delta::ApplyExpect want;
  HULL_ASSIGN_OR_RETURN(want.sha256, f.Sha256Of(target, &length));
  want.length = length;
  HULL_ASSIGN_OR_RETURN(File patch, File::OpenRead(p.path));
  auto applied = delta::ApplyPatchInto(*a.usr, patch, out.range, want);
  std::remove(p.path.c_str());
  if (!applied.ok()) {
    m.fallback = fmt::format("delta from {}: {}", p.delta->from, applied.error().ToString());
    return false;
  }
  m.method = "delta from " + p.delta->from;
  return true;
}

Result<bool> UsrViaChunks(Fetch& f, const std::string& index_target, const Active& a,
                          const std::string& target, const UsrOut& out, PieceMethod& m) {
  if (index_target.empty() || !out.range.file) return false;
  HULL_ASSIGN_OR_RETURN(Bytes raw,
                        f.client.FetchTarget(index_target).Context("downloading " + index_target));
  f.r.downloaded += raw.size();
  m.downloaded += raw.size();
  HULL_ASSIGN_OR_RETURN(delta::ChunkIndex index,
                        delta::DecodeIndex(raw).Context("chunk index " + index_target));
  uint64_t length = 0;
  HULL_ASSIGN_OR_RETURN(Bytes sha, f.Sha256Of(target, &length));
  if (index.image_length != length || index.image_sha256 != sha) {
    m.fallback = "chunk index describes another image than " + target;
    return false;
  }
  tuf::Fetcher& fetcher = f.client.fetcher();
  uint64_t chunk_bytes = 0;
  delta::ChunkSource source = [&](ByteSpan digest, uint64_t max_len) -> Result<Bytes> {
    HULL_ASSIGN_OR_RETURN(Bytes b, fetcher.Fetch(delta::ChunkPath(digest), max_len));
    chunk_bytes += b.size();
    return b;
  };
  auto stats = delta::AssembleInto(index, a.usr ? &*a.usr : nullptr, source, out.range);
  f.r.downloaded += chunk_bytes;
  m.downloaded += chunk_bytes;
  if (!stats.ok()) {
    m.fallback = "chunks: " + stats.error().ToString();
    return false;
  }
  m.method = fmt::format("chunks: {} of {} fetched", stats->fetched, stats->chunks);
  return true;
}

// The usr image into the target slot: by delta, by chunks, else whole.
Status GetUsr(Fetch& f, const SlotRelease& c, const Active& a, const UsrPatch& patch,
              const UsrOut& out, PieceMethod& m) {
  const std::string& target = c.targets.at("usr");
  HULL_ASSIGN_OR_RETURN(bool done, UsrViaDelta(f, patch, a, target, out, m));
  if (!done) {
    HULL_ASSIGN_OR_RETURN(done, UsrViaChunks(f, c.chunks, a, target, out, m));
  }
  if (done) return Ok();
  HULL_ASSIGN_OR_RETURN(uint64_t n,
                        f.TargetInto(target, out.disk, out.range.offset, out.range.capacity));
  m.downloaded += n;
  m.method = "full";
  return Ok();
}

// The verity file (small: 1/128 of the image) into `out`, recomputed from
// the usr image (`usr_length` bytes at `usr_offset` of the disk) when the
// release publishes its parameters.
Status GetVerity(Fetch& f, const SlotRelease& c, const File& disk, uint64_t usr_offset,
                 uint64_t usr_length, const std::string& out, PieceMethod& m) {
  const std::string& target = c.targets.at("verity");
  HULL_ASSIGN_OR_RETURN(const tuf::TargetFile* t, f.client.FindTarget(target));
  if (t->custom.contains("verity")) {
    // The published length bounds the work (and the file) before any hashing.
    const nlohmann::json& v = t->custom["verity"];
    bool sized = v.is_object() && v.contains("file_length") &&
                 v["file_length"].is_number_unsigned() &&
                 v["file_length"].get<uint64_t>() == t->length;
    Status st = sized
                    ? verity::RecomputeHashFile(v, disk, usr_offset, usr_length, out)
                    : Error(ErrorCode::kInvalidArgument, "file_length is not the target's length");
    if (st.ok()) {
      uint64_t length = 0;
      HULL_ASSIGN_OR_RETURN(Bytes want, f.Sha256Of(target, &length));
      HULL_ASSIGN_OR_RETURN(Bytes got, crypto::DigestFile(crypto::DigestAlgorithm::kSha256, out));
      if (got == want) {
        m.method = "recomputed";
        return Ok();
      }
      m.fallback = "recomputed tree differs from " + target;
    } else {
      m.fallback = "recomputing: " + st.error().ToString();
    }
    std::remove(out.c_str());
  }
  HULL_ASSIGN_OR_RETURN(uint64_t n, f.Target(target, out));
  m.downloaded += n;
  m.method = "full";
  return Ok();
}

Result<Bytes> GetUki(Fetch& f, const SlotRelease& c, const Active& a, PieceMethod& m) {
  const std::string& target = c.targets.at("uki");
  const std::string out = f.tmp + "/" + kUkiFile;
  bool done = false;
  for (const Delta& d : c.uki_deltas) {
    if (a.uki_seed.empty() || d.from_root_hash != a.root_hash) continue;
    std::string patch = f.tmp + "/delta.patch";
    HULL_ASSIGN_OR_RETURN(m.downloaded, f.Target(d.target, patch));
    uint64_t length = 0;
    delta::ApplyExpect want;
    HULL_ASSIGN_OR_RETURN(want.sha256, f.Sha256Of(target, &length));
    want.length = length;
    auto applied = delta::ApplyPatch(a.uki_seed, patch, out, want);
    std::remove(patch.c_str());
    if (!applied.ok()) {
      m.fallback = fmt::format("delta from {}: {}", d.from, applied.error().ToString());
      break;
    }
    m.method = "delta from " + d.from;
    done = true;
    break;
  }
  if (!done) {
    HULL_ASSIGN_OR_RETURN(uint64_t n, f.Target(target, out));
    m.downloaded += n;
    m.method = "full";
  }
  return ReadFileBytes(out, kMaxUkiBytes);
}

uint64_t PeakRss() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return uint64_t(ru.ru_maxrss) * 1024;
}

// ApplyRelease on a disk whose state `st` is read.
Result<ApplyResult> ApplyTo(tuf::Client& client, DiskIo& disk, EspIo& esp, const DiskState& st,
                            const SlotRelease& c, const InstallOptions& options, bool* refused) {
  ApplyResult r;
  r.version = c.version;
  r.root_hash = c.root_hash;
  r.full_size = c.bytes;
  std::string active = options.active_usrhash;
  if (active.empty() && st.default_entry()) active = st.default_entry()->usrhash;
  // Check before download (slot/trust.h): sizes against the target slot,
  // declared signers against the trust set, before any byte is fetched. A
  // refusal is the release's own: checking again gives the same answer.
  auto checked =
      CheckReleaseBeforeDownload(client, st, c, active, options.target_slot, options.trust);
  if (!checked.ok()) {
    if (refused && IsReleasesOwn(checked.error().code())) *refused = true;
    return std::move(checked).error();
  }
  const Signers signers = *checked;
  HULL_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create(kDownloadPrefix, DownloadParent()));
  bool want_usr = !c.chunks.empty();
  for (const Delta& d : c.usr_deltas) want_usr |= d.from_root_hash == active;
  Active act = ReadActive(disk, esp, st, active, want_usr, tmp.path());
  Fetch f{client, r, tmp.path()};
  for (const Piece& p : kPieces) {
    HULL_ASSIGN_OR_RETURN(const tuf::TargetFile* t, client.FindTarget(c.targets.at(p.key)));
    r.pieces[p.key].full_size = t->length;
  }
  // The small pieces first: the signature, the UKI and a usr delta are
  // downloaded and checked before the target slot is touched.
  Payload pl;
  pl.version = c.version;
  pl.root_hash = c.root_hash;
  const std::string& sig = c.targets.at("signature");
  HULL_ASSIGN_OR_RETURN(pl.signature, client.FetchTarget(sig).Context("downloading " + sig));
  r.downloaded += pl.signature.size();
  r.pieces["signature"].downloaded = pl.signature.size();
  r.pieces["signature"].method = "full";
  HULL_ASSIGN_OR_RETURN(pl.uki, GetUki(f, c, act, r.pieces["uki"]));
  // After download: each piece against the certificate checked before it.
  if (Status st = VerifySigners(c.version, pl.uki, pl.signature, signers); !st.ok()) {
    if (refused) *refused = true;
    return std::move(st).error();
  }
  HULL_ASSIGN_OR_RETURN(
      UsrPatch patch,
      FetchUsrPatch(f, c.usr_deltas, act, disk.writable_file() != nullptr, r.pieces["usr"]));
  InstallOptions install = options;
  if (signers.verity) install.verity_cert = signers.verity;
  if (Status st = VerifyPayloadWithoutUsr(pl, install.verity_cert); !st.ok()) {
    if (refused) *refused = true;
    return std::move(st).error();
  }
  // The usr image goes straight into the target slot, retired ("_empty",
  // unbootable) first; the installer verifies the whole slot against the
  // signed root hash before it labels it and installs the UKI.
  PieceSizes sizes{.version = c.version,
                   .root_hash = c.root_hash,
                   .usr = r.pieces["usr"].full_size,
                   .verity = r.pieces["verity"].full_size,
                   .signature = pl.signature.size()};
  HULL_ASSIGN_OR_RETURN(PreparedSlot prep, PrepareSlot(disk, esp, sizes, install, refused));
  UsrOut out{disk, {disk.writable_file(), prep.usr_offset, prep.usr_capacity}};
  HULL_TRY(GetUsr(f, c, act, patch, out, r.pieces["usr"]));
  pl.usr_in_place = sizes.usr;
  pl.verity_path = tmp.path() + "/" + kVerityFile;
  HULL_TRY(
      GetVerity(f, c, disk.file(), prep.usr_offset, sizes.usr, pl.verity_path, r.pieces["verity"]));
  auto done = CompleteSlot(disk, esp, std::move(prep), pl, install);
  if (!done.ok()) {
    // The written slot does not match the signed root hash: the same bytes
    // fail the same way again (an I/O error may not).
    ErrorCode code = done.error().code();
    if (refused && (code == ErrorCode::kVerifyFailed || code == ErrorCode::kBadSignature))
      *refused = true;
    return std::move(done).error();
  }
  r.install = std::move(*done);
  r.peak_rss = PeakRss();
  return r;
}

}  // namespace

std::string DownloadParent() {
  // Under /var/tmp (disk-backed on a node; /tmp may be tmpfs, i.e. memory):
  // the small downloads (a patch, the verity tree, the UKI) go there; the
  // usr image is read and written in the slots themselves.
  const char* t = std::getenv("TMPDIR");
  if (t && *t) return t;
  std::error_code ec;
  return std::filesystem::is_directory("/var/tmp", ec) ? "/var/tmp" : "/tmp";
}

std::vector<SlotRelease> SlotReleases(const tuf::Targets& targets) {
  // Flavors and architectures publish the same version apart.
  using Key = std::tuple<std::string, std::string, std::array<uint64_t, 3>>;
  std::map<Key, SlotRelease> by_version;
  std::map<Key, bool> inconsistent;
  for (const auto& [name, t] : targets.targets) {
    const auto& c = t.custom;
    if (!c.is_object() || Str(c, "payload").empty()) continue;
    auto parsed = tuf::ParseReleaseVersion(Str(c, "version"));
    if (!parsed.ok()) continue;
    const Key v{Str(c, "flavor"), Str(c, "arch"), *parsed};
    // The pieces of one release must agree on what it is.
    SlotRelease& rel = by_version[v];
    if (!rel.version.empty() &&
        (rel.root_hash != Str(c, "root_hash") || rel.channel != Str(c, "channel")))
      inconsistent[v] = true;
    rel.version = Str(c, "version");
    rel.root_hash = Str(c, "root_hash");
    rel.flavor = Str(c, "flavor");
    rel.arch = Str(c, "arch");
    rel.channel = Str(c, "channel");
    rel.withdrawn = rel.withdrawn || tuf::IsWithdrawn(c);
    const std::string payload = Str(c, "payload");
    if (payload == "usr-delta" || payload == "uki-delta") {
      (payload == "usr-delta" ? rel.usr_deltas : rel.uki_deltas)
          .push_back({name, Str(c, "from"), Str(c, "from_root_hash")});
      continue;
    }
    if (payload == "usr-chunks") {
      rel.chunks = name;
      continue;
    }
    if (!IsPiece(payload)) continue;
    if (!rel.targets.emplace(payload, name).second) inconsistent[v] = true;
    if (payload == "usr") rel.rollout_percent = tuf::RolloutPercentOf(c);
    rel.bytes += t.length;
  }
  std::vector<SlotRelease> out;
  for (auto it = by_version.rbegin(); it != by_version.rend(); ++it) {
    bool complete = true;
    for (const Piece& p : kPieces) complete &= it->second.targets.count(p.key) == 1;
    if (complete && !inconsistent[it->first]) out.push_back(std::move(it->second));
  }
  return out;
}

Result<std::string> DiskArch(const DiskState& st) {
  for (const Slot& slot : st.slots) {
    const gpt::PartitionType* t = gpt::LookupTypeGuid(slot.usr.type);
    const node::ArchNames* a = t ? node::ArchOfGpt(t->arch) : nullptr;
    if (a) return std::string(a->debian);
  }
  return Error(ErrorCode::kCorrupt, "the disk has no usr partition of a known architecture");
}

Result<std::string> ReleaseArchOfDisk(const DiskState& st, const std::string& given) {
  HULL_ASSIGN_OR_RETURN(std::string arch, DiskArch(st));
  if (!given.empty() && given != arch) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "--arch {} but the disk's usr partitions are {}: leave --arch out (the disk's "
                  "is used) or update an {} disk",
                  given, arch, given);
  }
  return arch;
}

Result<ApplyResult> ApplyUpdate(tuf::Client& client, DiskIo& disk, EspIo& esp,
                                const ApplyFilters& given, const InstallOptions& options) {
  HULL_TRY(client.Refresh());
  std::vector<SlotRelease> releases = SlotReleases(client.targets());
  HULL_ASSIGN_OR_RETURN(DiskState st, ReadDiskState(disk, esp));
  // A disk runs releases of its own architecture only, whatever the filter.
  ApplyFilters filters = given;
  HULL_ASSIGN_OR_RETURN(filters.arch, ReleaseArchOfDisk(st, given.arch));
  const InstalledFacts installed = Installed(st, options.active_usrhash);
  Choice choice = ChooseRelease(releases, filters, installed);
  if (choice.kind == ChoiceKind::kInstall) {
    HULL_ASSIGN_OR_RETURN(ApplyResult r,
                          ApplyTo(client, disk, esp, st, *choice.release, options, nullptr));
    r.held_back = std::move(choice.held_back);
    return r;
  }
  if (choice.kind == ChoiceKind::kNoRelease ||
      (choice.kind == ChoiceKind::kUpToDate && choice.newest.empty())) {
    std::string why;
    for (const auto& h : choice.held_back) why += (why.empty() ? " (held back: " : "; ") + h;
    if (!why.empty()) why += ")";
    return Error(ErrorCode::kNotFound, "no release with a complete slot payload matches" + why);
  }
  ApplyResult r;
  r.version = choice.newest;
  r.up_to_date = choice.kind == ChoiceKind::kUpToDate;
  r.ahead_of_channel = choice.kind == ChoiceKind::kAheadOfChannel;
  r.held_back = std::move(choice.held_back);
  r.peak_rss = PeakRss();
  return r;
}

Result<ApplyResult> ApplyRelease(tuf::Client& client, DiskIo& disk, EspIo& esp,
                                 const SlotRelease& release, const InstallOptions& options,
                                 bool* refused) {
  if (refused) *refused = false;
  HULL_ASSIGN_OR_RETURN(DiskState st, ReadDiskState(disk, esp));
  return ApplyTo(client, disk, esp, st, release, options, refused);
}

}  // namespace hull::slot
