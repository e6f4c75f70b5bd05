#include "customize/customize.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <set>
#include <sstream>

#include "base/file.h"
#include "base/hex.h"
#include "base/subprocess.h"
#include "build/artifacts.h"
#include "build/pipeline.h"
#include "build/plan.h"
#include "crypto/digest.h"
#include "crypto/file_digest.h"
#include "customize/apply.h"
#include "customize/config.h"
#include "customize/rebuild.h"
#include "customize/record.h"
#include "customize/tree_path.h"
#include "customize/trust.h"
#include "disk/convert.h"
#include "disk/image.h"
#include "gpt/gpt.h"
#include "gpt/types.h"
#include "node/config.h"
#include "node/os_release.h"
#include "node/usrhash.h"
#include "pe/pe.h"
#include "rootfs/erofs.h"
#include "rootfs/erofs_modes.h"
#include "rootfs/selinux.h"
#include "signing/offline.h"
#include "slot/fetch_payload.h"
#include "slot/payload.h"
#include "slot/state.h"
#include "spec/spec.h"
#include "tuf/client.h"
#include "tuf/fetcher.h"
#include "uki/uki.h"
#include "verity/signature.h"
#include "verity/superblock.h"
#include "verity/tree.h"

namespace hull::customize {
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxEfiBytes = uint64_t(512) << 20;
constexpr size_t kErofsHead = 1024 + 128;  // up to the end of the superblock

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

template <typename F>
auto Step(const CustomizeOptions& o, CustomizeResult& res, const char* name, F&& f)
    -> decltype(f()) {
  if (o.on_step) o.on_step(name, -1);
  auto t = std::chrono::steady_clock::now();
  auto r = f();
  if (!r.ok()) return std::move(r).Context(name);
  res.step_seconds.emplace_back(name, Since(t));
  if (o.on_step) o.on_step(name, res.step_seconds.back().second);
  return r;
}

Status CheckOutDir(const std::string& out) {
  std::error_code ec;
  if (!fs::exists(out, ec)) return Ok();
  if (!fs::is_directory(out, ec) || !fs::is_empty(out, ec))
    return Errorf(ErrorCode::kAlreadyExists,
                  "output directory '{}' exists and is not empty: give a new or empty --out", out);
  return Ok();
}

std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// What the base gives the later steps.
struct Base {
  disk::RawImage raw;  // IMAGE, or its conversion to raw
  slot::Extracted x;
  std::string sha256;  // after AwaitDigest
  // The given file's SHA-256, taken on a second thread from ReadBase on while
  // the payload is checked and copied and /usr unpacked (each reads the disk
  // or its copy): the three overlap instead of adding up.
  std::future<Result<std::string>> digest;
  gpt::Table table;
  node::OsRelease os_release;
  std::string selinux;  // the mode /usr/etc/selinux/config names; "" without a policy
  Uuid erofs_uuid;
  bool lz4hc = false;  // the base is LZ4-compressed (rootfs::ErofsSuperblock)
  verity::VerityParams verity;
  int64_t build_time = 0;
};

Result<ByteSpan> SectionData(const pe::PeImage& img, ByteSpan file, std::string_view name) {
  const pe::Section* s = img.FindSection(name);
  if (!s) return Errorf(ErrorCode::kCorrupt, "the base UKI has no {} section", name);
  uint64_t len = std::min(s->virtual_size, s->size_of_raw_data), end = 0;
  if (!CheckedAdd(s->pointer_to_raw_data, len, &end) || end > file.size())
    return Errorf(ErrorCode::kCorrupt, "the base UKI's {} section is past its end", name);
  return file.subspan(s->pointer_to_raw_data, len);
}

// --from-release: the release's metadata verified through TUF from the
// trusted root (the client `hull update` uses), its four pieces downloaded
// whole and checked as a payload, against --base-keys too. The digest is
// payload.json's, which names each piece's SHA-256.
Status FetchBase(const CustomizeOptions& o, const build::SigningKeys& base_certs,
                 const std::string& work, Base& b) {
  const FromRelease& f = *o.from_release;
  HULL_ASSIGN_OR_RETURN(Bytes root,
                        ReadFileBytes(f.trusted_root, 1 << 20).Context("--trusted-root"));
  HULL_ASSIGN_OR_RETURN(tuf::Client client,
                        tuf::Client::Create(tuf::MakeFetcher(f.repo), root, std::string()));
  HULL_TRY(client.Refresh());
  HULL_ASSIGN_OR_RETURN(slot::SlotRelease rel,
                        slot::FindSlotRelease(client.targets(), {f.version, f.flavor, f.arch}));
  // Its errors name the piece or the certificate (--base-keys's) it failed.
  HULL_ASSIGN_OR_RETURN(
      b.x, slot::FetchPayload(client, rel, work + "/base",
                              {.db = &base_certs.db_cert, .verity = &base_certs.verity_cert}));
  HULL_ASSIGN_OR_RETURN(b.sha256, crypto::FileSha256Hex(work + "/base/payload.json"));
  return Ok();
}

Status ReadBase(const CustomizeOptions& o, const build::SigningKeys& base_certs,
                const std::string& work, Base& b) {
  if (o.from_release) {
    HULL_TRY(FetchBase(o, base_certs, work, b)
                 .Context(fmt::format("release {} of {}", o.from_release->version,
                                      o.from_release->repo)));
  } else {
    // The image as a raw disk (disk/convert.h): the digest is the given file's.
    HULL_ASSIGN_OR_RETURN(b.raw, disk::OpenAsRaw(o.image, work + "/input.raw"));
    HULL_ASSIGN_OR_RETURN(auto opened, slot::OpenDisk(b.raw.path, false));
    b.digest =
        std::async(std::launch::async, [image = o.image] { return crypto::FileSha256Hex(image); });
    auto extracted =
        slot::ExtractPayload(*opened.disk, *opened.esp, work + "/base",
                             {.db = &base_certs.db_cert, .verity = &base_certs.verity_cert},
                             slot::Copies::kScratch)
            .Context(fmt::format("{} (checked against --base-keys {})", o.image, o.base_key_dir));
    HULL_ASSIGN_OR_RETURN(b.x, std::move(extracted));
    HULL_ASSIGN_OR_RETURN(b.table, gpt::ReadFile(b.raw.path));
  }
  const std::string usr = work + "/base/" + slot::kUsrFile;
  HULL_ASSIGN_OR_RETURN(File f, File::OpenRead(usr));
  Bytes head(kErofsHead);
  HULL_TRY(f.ReadAt(0, head));
  HULL_ASSIGN_OR_RETURN(rootfs::ErofsSuperblock sb,
                        rootfs::ReadErofsSuperblock(head).Context("the base /usr"));
  b.erofs_uuid = sb.uuid;
  b.lz4hc = sb.lz4;  // re-packed with LZ4HC, as hull build compresses
  HULL_ASSIGN_OR_RETURN(File vf, File::OpenRead(work + "/base/" + slot::kVerityFile));
  Bytes vsb(512);
  HULL_TRY(vf.ReadAt(0, vsb));
  HULL_ASSIGN_OR_RETURN(b.verity, verity::DecodeSuperblock(vsb));
  return Ok();
}

// b.sha256 from ReadBase's second thread, once it is done.
Status AwaitDigest(Base& b) {
  if (!b.digest.valid()) return Ok();
  HULL_ASSIGN_OR_RETURN(b.sha256, b.digest.get());
  return Ok();
}

// /usr of the base into `root`/usr, with the modes and file capabilities the
// image's inodes give (fsck.erofs --extract drops both).
Status Unpack(const std::string& erofs, const std::string& root) {
  HULL_TRY(
      Run(Command{.argv = {"fsck.erofs", "--extract=" + root + "/usr", "--preserve-perms", erofs},
                  .install_hint = "apt-get install erofs-utils"})
          .Context("fsck.erofs --extract"));
  HULL_ASSIGN_OR_RETURN(File f, File::OpenRead(erofs));
  HULL_ASSIGN_OR_RETURN(uint64_t size, f.Size());
  HULL_ASSIGN_OR_RETURN(MappedRegion map, f.Map(0, size_t(size)));
  HULL_ASSIGN_OR_RETURN(auto modes, rootfs::ReadErofsModes(map.bytes()));
  for (const auto& m : modes) {
    if (!m.capability.empty()) HULL_TRY(SetCapabilityInTree(root + "/usr", m.path, m.capability));
    if (!(m.mode & 07000) || S_ISLNK(m.mode)) continue;
    HULL_TRY(ChmodInTree(root + "/usr", m.path, m.mode & 07777));
  }
  return Ok();
}

// An optional file of the tree: "" when absent, an error when it is a link.
Result<std::string> OptionalTreeText(const std::string& usr, const std::string& rel) {
  auto text = ReadTreeText(usr, rel, 1 << 20);
  if (!text.ok() && text.error().code() == ErrorCode::kNotFound) return std::string();
  return text;
}

Status ReadTreeFacts(const std::string& root, Base& b) {
  const std::string usr = root + "/usr";
  HULL_ASSIGN_OR_RETURN(std::string osr, ReadTreeText(usr, "lib/os-release", 1 << 20));
  b.os_release = node::ParseOsRelease(osr);
  HULL_ASSIGN_OR_RETURN(std::string bt,
                        OptionalTreeText(usr, std::string(node::kBuildTime).substr(5)));
  if (!bt.empty()) b.build_time = std::strtoll(bt.c_str(), nullptr, 10);
  HULL_ASSIGN_OR_RETURN(std::string sel, OptionalTreeText(usr, "etc/selinux/config"));
  for (const auto& line : Words(sel))
    if (line.starts_with("SELINUX=")) b.selinux = line.substr(8);
  return Ok();
}

struct Sealed {
  std::string usr, verity, signature;
  Bytes root_hash;
  uint64_t erofs_bytes = 0;
};

// A work folder beside OUT (the outputs are renamed into place from it, so
// it must be on OUT's file system), named for the command: ".OUT.hull-KIND".
Result<TempDir> WorkDirBeside(const fs::path& out, std::string_view kind) {
  std::error_code ec;
  fs::create_directories(out.parent_path(), ec);
  return TempDir::Create(fmt::format(".{}.hull-{}", out.filename().string(), kind),
                         out.parent_path().string());
}

// The checked base's /usr (in WORK/base) extracted to ROOT, with the facts
// the image records there read into b.
Status UnpackBase(const std::string& work, const std::string& root, Base& b) {
  HULL_TRY(Unpack(work + "/base/" + slot::kUsrFile, root));
  return ReadTreeFacts(root, b);
}

Result<Sealed> PackAndSeal(const Base& b, const std::string& root, const std::string& selinux,
                           const build::SigningKeys& keys, const std::string& work, int64_t epoch) {
  Sealed s{work + "/usr.erofs", work + "/usr.verity", work + "/usr.verity-sig", {}, 0};
  rootfs::ErofsOptions e{.source_dir = root + "/usr",
                         .output = s.usr,
                         .timestamp = epoch,
                         .uuid = b.erofs_uuid,
                         .lz4hc = b.lz4hc};
  if (!selinux.empty() && selinux != "disabled") {
    HULL_ASSIGN_OR_RETURN(std::string fc, rootfs::ReadPolicyFileContexts(root));
    e.file_contexts = work + "/file_contexts";
    HULL_TRY(WriteFileAtomic(e.file_contexts, rootfs::UsrImageFileContexts(fc)));
  }
  HULL_TRY(rootfs::PackErofs(e));
  verity::VerityParams p;
  p.salt = b.verity.salt;
  p.uuid = b.verity.uuid;
  HULL_ASSIGN_OR_RETURN(File data, File::OpenRead(s.usr));
  HULL_ASSIGN_OR_RETURN(s.erofs_bytes, data.Size());
  HULL_ASSIGN_OR_RETURN(build::SealResult sealed, build::SealWith(p, s.usr, keys, work));
  s.verity = sealed.verity_image;
  s.signature = sealed.signature_image;
  s.root_hash = sealed.root_hash;
  return s;
}

Result<build::UkiResult> MakeUki(const CustomizeOptions& o, const Base& b, const std::string& root,
                                 const std::string& cmdline, const build::SigningKeys& keys,
                                 const std::string& out) {
  const Bytes& old = b.x.payload.uki;
  HULL_ASSIGN_OR_RETURN(pe::PeImage img, pe::ParsePe(old));
  uki::UkiInputs in;
  in.machine = img.machine;
  HULL_ASSIGN_OR_RETURN(in.stub, ReadFileBytes(o.systemd_stub, kMaxEfiBytes)
                                     .Context("systemd-stub (apt-get install systemd-boot-efi)"));
  HULL_ASSIGN_OR_RETURN(ByteSpan linux_image, SectionData(img, old, ".linux"));
  HULL_ASSIGN_OR_RETURN(ByteSpan initrd, SectionData(img, old, ".initrd"));
  HULL_ASSIGN_OR_RETURN(ByteSpan uname, SectionData(img, old, ".uname"));
  in.linux_image.assign(linux_image.begin(), linux_image.end());
  in.initrds.emplace_back(initrd.begin(), initrd.end());
  in.uname.assign(uname.begin(), uname.end());
  in.cmdline.assign(cmdline.begin(), cmdline.end());
  HULL_ASSIGN_OR_RETURN(in.os_release, ReadTreeFile(root + "/usr", "lib/os-release", 1 << 20));
  HULL_ASSIGN_OR_RETURN(Bytes unsigned_uki, uki::BuildUki(in));
  return build::SignUki(unsigned_uki, cmdline, keys, out);
}

const gpt::Partition* FindRole(const gpt::Table& t, gpt::Role role, bool named = false) {
  for (const auto& p : t.partitions) {
    const gpt::PartitionType* type = gpt::LookupTypeGuid(p.type);
    if (type && type->role == role && (!named || p.name != "_empty")) return &p;
  }
  return nullptr;
}

// The base's root file system, copied as it is, and the SHA-256 of its bytes
// (the new UKI's hull.roottemplate=). A base whose UKI names another digest
// (hull.roottemplate=) is refused: its root is not the one it was signed with.
Result<std::string> CopyRoot(const std::string& image, const gpt::Table& t,
                             std::string_view base_cmdline, const std::string& out) {
  const gpt::Partition* root = FindRole(t, gpt::Role::kRoot);
  if (!root) return Errorf(ErrorCode::kCorrupt, "the base image has no root partition");
  HULL_ASSIGN_OR_RETURN(File in, File::OpenRead(image));
  HULL_ASSIGN_OR_RETURN(File dst, File::CreateNew(out));
  const uint64_t len = root->sectors() * t.sector_size;
  HULL_TRY(dst.Truncate(len));
  HULL_ASSIGN_OR_RETURN(MappedRegion m, in.Map(root->first_lba * t.sector_size, size_t(len)));
  // Whole zero blocks stay holes (the destination was just truncated).
  constexpr size_t kBlock = 1 << 16;
  ByteSpan b = m.bytes();
  for (size_t off = 0; off < b.size(); off += kBlock) {
    ByteSpan piece = b.subspan(off, std::min(kBlock, b.size() - off));
    if (std::all_of(piece.begin(), piece.end(), [](uint8_t c) { return c == 0; })) continue;
    HULL_TRY(dst.WriteAt(off, piece));
  }
  HULL_TRY(dst.Sync());
  const std::string digest = HexEncode(crypto::Sha256(b));
  auto named = node::RootTemplateHashOfCmdline(base_cmdline);
  if (!named.ok() && named.error().code() != ErrorCode::kNotFound)
    return std::move(named).error().Wrap("the base image's UKI");
  if (named.ok() && *named != digest)
    return Errorf(ErrorCode::kVerifyFailed,
                  "the base image's root partition has SHA-256 {}, its UKI's {}= says {}: the "
                  "root was changed after the build; customize an image as built",
                  digest, node::kRootTemplateOption, *named);
  return digest;
}

Result<disk::CreateResult> MakeDisk(const Base& b, const Sealed& s, const std::string& work,
                                    uint64_t esp_content, const std::string& out, uint16_t machine,
                                    spec::OutputFormat format) {
  const gpt::Partition* esp = FindRole(b.table, gpt::Role::kEsp);
  const gpt::Partition* usr = FindRole(b.table, gpt::Role::kUsr, true);
  const gpt::Partition* root = FindRole(b.table, gpt::Role::kRoot);
  if (!esp || !usr || !root)
    return Errorf(ErrorCode::kCorrupt, "the base image lacks the ESP, a usr or the root partition");
  const uint64_t ss = b.table.sector_size;
  spec::Partitions keep;
  keep.esp = esp->sectors() * ss;
  keep.usr = usr->sectors() * ss >= s.erofs_bytes ? usr->sectors() * ss : 0;
  keep.root = root->sectors() * ss;
  HULL_ASSIGN_OR_RETURN(auto sizes, build::ComputeSizes(keep, s.erofs_bytes, esp_content));
  const gpt::Arch arch = machine == pe::kMachineArm64 ? gpt::Arch::kArm64 : gpt::Arch::kX86_64;
  HULL_ASSIGN_OR_RETURN(auto layout, build::BuildLayout({.name = b.os_release.count("IMAGE_ID")
                                                                     ? b.os_release.at("IMAGE_ID")
                                                                     : "hull",
                                                         .version = b.x.payload.version,
                                                         .sizes = sizes,
                                                         .esp_dir = work + "/esp",
                                                         .usr_image = s.usr,
                                                         .verity_image = s.verity,
                                                         .signature_image = s.signature,
                                                         .root_image = work + "/root.ext4",
                                                         .root_hash = s.root_hash,
                                                         .arch = arch}));
  return disk::CreateDisk(layout, {.out = out,
                                   .format = format,
                                   .sector_size = 512,
                                   .source_date_epoch = b.build_time,
                                   .sha256 = true});
}

// The sealed pieces in `dir` under the payload's names (the UKI is there
// already), and payload.json naming them; returns payload.json's SHA-256.
Result<std::string> WritePayload(const Sealed& s, const std::string& version,
                                 const std::string& dir) {
  for (auto [from, name] : {std::pair{&s.usr, slot::kUsrFile},
                            {&s.verity, slot::kVerityFile},
                            {&s.signature, slot::kSignatureFile}}) {
    std::error_code ec;
    fs::rename(*from, dir + "/" + name, ec);
    if (ec) return ErrnoError(ec.value(), "moving the payload's", dir + "/" + name);
  }
  HULL_TRY(slot::WriteManifest(dir, version, HexEncode(s.root_hash)));
  return crypto::FileSha256Hex(dir + "/payload.json");
}

// --rebuild, beyond os.packages and output.image.format: the configuration
// has changes customize applies to the rebuilt image.
bool HasCustomization(const Config& c) {
  return c.hostname || !c.files.empty() || !c.dirs.empty() || !c.groups.empty() ||
         !c.users.empty() || !c.enable.empty() || !c.disable.empty() || !c.extra_cmdline.empty() ||
         !c.modules.empty() || c.selinux || c.update;
}

// The recorded spec of the verified, unpacked base with the configuration's
// package changes, its files taken from the base's tree.
Result<spec::ImageSpec> RebuildSpec(const CustomizeOptions& o, const Config& config, const Base& b,
                                    const std::string& root, std::string& text) {
  HULL_ASSIGN_OR_RETURN(std::string recorded, ReadRecordedSpec(root + "/usr", o.image));
  const std::string name =
      fmt::format("{}:{}", fs::path(o.image).filename().string(), node::kSpecRecord);
  HULL_ASSIGN_OR_RETURN(
      text,
      RewriteSpecPackages(recorded, name, config.packages.value_or(Packages{}), b.build_time));
  HULL_ASSIGN_OR_RETURN(spec::ImageSpec s,
                        spec::ParseSpec(text, {.filename = name, .build_time = b.build_time}));
  s.version = b.x.payload.version;
  if (!config.output_format_where.empty()) s.outputs = {config.output_format};
  if (HasCustomization(config)) s.outputs = {spec::OutputFormat::kRaw};
  HULL_TRY(SourcesFromBase(s, root + "/usr"));
  return s;
}

// What manifest.json says of a rebuild: the base and the package changes.
nlohmann::json RebuildRecord(const CustomizeOptions& o, const Config& config, const Base& b,
                             const std::string& spec_text) {
  nlohmann::json install = nlohmann::json::array(), remove = nlohmann::json::array();
  if (config.packages) {
    for (const auto& p : config.packages->install) install.push_back(p.name);
    for (const auto& p : config.packages->remove) remove.push_back(p.name);
  }
  return {{"base",
           {{"image", fs::path(o.image).filename().string()},
            {"sha256", b.sha256},
            {"version", b.x.payload.version},
            {"root_hash", b.x.payload.root_hash}}},
          {"spec_sha256", HexEncode(crypto::Sha256(AsBytes(spec_text)))},
          {"install", install},
          {"remove", remove}};
}

Result<CustomizeResult> RebuildImage(const CustomizeOptions& o) {
  if (o.from_release)
    return Error(ErrorCode::kRefused,
                 "--rebuild with --from-release is not supported: rebuild the release's disk "
                 "image (hull customize IMAGE --rebuild)");
  if (o.offline.offline())
    return Error(ErrorCode::kRefused,
                 "--rebuild signs as hull build does, with the keys in --keys: --sign-offline "
                 "and --inject-signatures are not supported with it");
  if (o.image.empty()) return Error(ErrorCode::kInvalidArgument, "--rebuild needs IMAGE");
  HULL_TRY(CheckOutDir(o.out_dir));
  HULL_ASSIGN_OR_RETURN(Config config, LoadConfig(o.config, PackagesField::kRead));
  if (config.trust != TrustMode::kReplace)
    return Errorf(ErrorCode::kRefused,
                  "{}: trust.mode keep or add cannot be honoured with --rebuild: the rebuilt "
                  "image's trust set is --keys's, as hull build writes it",
                  config.file);
  HULL_ASSIGN_OR_RETURN(build::SigningKeys base_certs,
                        build::LoadCertificates(o.base_key_dir, false).Context("base keys"));
  std::error_code ec;
  fs::path out = fs::absolute(o.out_dir, ec);
  HULL_ASSIGN_OR_RETURN(TempDir tmp, WorkDirBeside(out, "rebuild"));
  const std::string work = tmp.path(), root = work + "/tree";
  fs::create_directories(root, ec);
  CustomizeResult res;
  Base b;
  HULL_TRY(Step(o, res, "base", [&]() -> Result<bool> {
    HULL_TRY(ReadBase(o, base_certs, work, b));
    return true;
  }));
  HULL_TRY(Step(o, res, "unpack", [&]() -> Result<bool> {
    HULL_TRY(UnpackBase(work, root, b));
    HULL_TRY(AwaitDigest(b));
    return true;
  }));
  std::string text;
  HULL_ASSIGN_OR_RETURN(spec::ImageSpec s, Step(o, res, "spec", [&] {
                          return RebuildSpec(o, config, b, root, text);
                        }));
  const bool customize = HasCustomization(config);
  build::BuildOptions bo{
      .spec = s,
      .spec_text = text,
      .spec_dir = work,
      .out_dir = work + (customize ? "/built" : "/final"),
      .key_dir = o.key_dir,
      .cache_dir = o.rebuild->cache_dir,
      .init_binary =
          o.rebuild->init_binary.empty() ? build::DefaultInitPath(s.arch) : o.rebuild->init_binary,
      .agent_binary = o.rebuild->agent_binary.empty() ? build::DefaultAgentPath(s.arch)
                                                      : o.rebuild->agent_binary,
      .source_date_epoch = o.source_date_epoch >= 0 ? o.source_date_epoch : b.build_time,
      .on_stage = o.on_step};
  HULL_ASSIGN_OR_RETURN(build::BuildResult built, build::Build(bo).Context("build"));
  res.step_seconds.insert(res.step_seconds.end(), built.stage_seconds.begin(),
                          built.stage_seconds.end());
  res.manifest = std::move(built.manifest);
  if (customize) {
    // The rest of the configuration, applied to the rebuilt image as to any
    // image: checked against --keys (the build's), re-sealed with them.
    CustomizeOptions inner = o;
    inner.rebuild.reset();
    inner.rebuilt = true;
    inner.image = fmt::format("{}/built/{}.raw", work, build::OutputStem(s));
    inner.base_key_dir = o.key_dir;
    inner.base_sbom.clear();  // the rebuilt image's, beside it
    inner.out_dir = work + "/final";
    // Its steps are named apart from the rebuild's own base and unpack.
    if (o.on_step)
      inner.on_step = [&o](const std::string& step, double secs) {
        o.on_step("customize/" + step, secs);
      };
    HULL_ASSIGN_OR_RETURN(CustomizeResult c, Customize(inner));
    for (auto& [name, secs] : c.step_seconds) name = "customize/" + name;
    res.step_seconds.insert(res.step_seconds.end(), c.step_seconds.begin(), c.step_seconds.end());
    res.manifest = std::move(c.manifest);
  }
  res.manifest["rebuild"] = RebuildRecord(o, config, b, text);
  HULL_TRY(WriteFileAtomic(work + "/final/manifest.json", res.manifest.dump(2) + "\n"));
  if (fs::exists(out, ec)) fs::remove(out, ec);  // empty (checked above)
  if (::rename((work + "/final").c_str(), out.c_str()) != 0)
    return ErrnoError(errno, "moving the outputs to", out.string());
  res.out_dir = out.string();
  return res;
}

std::string StepLine(const CustomizeResult& r) {
  double total = 0;
  std::string s = "  steps      ";
  for (const auto& [name, secs] : r.step_seconds) {
    s += fmt::format(" {} {:.1f}s", name, secs);
    total += secs;
  }
  return s + fmt::format("; total {:.1f}s\n", total);
}

std::string RebuildSummary(const CustomizeResult& r) {
  const auto& m = r.manifest;
  const auto& rb = m["rebuild"];
  std::string s = fmt::format("Rebuilt {} {} into {}\n", rb["base"]["image"].get<std::string>(),
                              rb["base"]["version"].get<std::string>(), r.out_dir);
  std::string pkgs;
  for (const auto& p : rb["install"]) pkgs += " +" + p.get<std::string>();
  for (const auto& p : rb["remove"]) pkgs += " -" + p.get<std::string>();
  s += fmt::format("  packages   {}\n", pkgs.empty() ? " (unchanged)" : pkgs);
  if (m.contains("changes")) s += fmt::format("  changes     {}\n", m["changes"].size());
  s += fmt::format("  root hash   {}\n", m["usr"]["root_hash"].get<std::string>());
  s += fmt::format("  cmdline     {}\n", m["uki"]["cmdline"].get<std::string>());
  return s + StepLine(r);
}

}  // namespace

std::string CustomizedCmdline(std::string_view base, const std::string& root_hash_hex,
                              const std::string& root_template_hex, const std::string& selinux,
                              const std::vector<std::string>& extra) {
  const std::string template_key = std::string(node::kRootTemplateOption) + "=";
  const std::string template_word = template_key + root_template_hex;
  std::vector<std::string> words;
  bool has_template = false;
  for (auto& w : Words(base)) {
    if (!root_template_hex.empty() && w.starts_with(template_key)) {
      w = template_word;
      has_template = true;
    }
    if (w.starts_with("usrhash=")) w = "usrhash=" + root_hash_hex;
    const bool selinux_word =
        w == "security=selinux" || w.starts_with("selinux=") || w.starts_with("enforcing=");
    if (!selinux.empty() && selinux_word) continue;
    words.push_back(w);
  }
  if (!has_template && !root_template_hex.empty()) {
    auto usrhash = std::find_if(words.begin(), words.end(),
                                [](const std::string& w) { return w.starts_with("usrhash="); });
    words.insert(usrhash == words.end() ? words.begin() : usrhash + 1, template_word);
  }
  if (selinux == "enforcing" || selinux == "permissive") {
    for (const char* w : {"security=selinux", "selinux=1"}) words.push_back(w);
    words.push_back(selinux == "enforcing" ? "enforcing=1" : "enforcing=0");
  } else if (selinux == "disabled") {
    words.push_back("selinux=0");
  }
  words.insert(words.end(), extra.begin(), extra.end());
  std::string out;
  std::set<std::string> seen;
  for (const auto& w : words) {
    if (!seen.insert(w).second) continue;
    if (!out.empty()) out += " ";
    out += w;
  }
  return out;
}

Result<CustomizeResult> Customize(const CustomizeOptions& o) {
  if (o.rebuild) return RebuildImage(o);
  if (o.from_release.has_value() == !o.image.empty())
    return Error(ErrorCode::kInvalidArgument,
                 "give the base as IMAGE or as --from-release REPO VERSION (one of the two)");
  if (o.from_release && o.from_release->trusted_root.empty())
    return Error(ErrorCode::kInvalidArgument,
                 "--from-release needs --trusted-root ROOT.json: the repository's metadata is "
                 "verified from it");
  HULL_TRY(CheckOutDir(o.out_dir));
  // After a rebuild the configuration's os.packages are in the image.
  HULL_ASSIGN_OR_RETURN(Config config, LoadConfig(o.config, o.rebuilt ? PackagesField::kRead
                                                                      : PackagesField::kRefuse));
  if (o.from_release && !config.output_format_where.empty())
    return Errorf(ErrorCode::kRefused,
                  "{} cannot be honoured with --from-release: the output is a payload directory "
                  "for hull release add, not a disk",
                  config.output_format_where);
  HULL_ASSIGN_OR_RETURN(build::SigningKeys base_certs,
                        build::LoadCertificates(o.base_key_dir, false).Context("base keys"));
  HULL_ASSIGN_OR_RETURN(build::SigningKeys keys,
                        build::LoadCertificates(o.key_dir, !o.offline.offline()).Context("keys"));
  HULL_ASSIGN_OR_RETURN(signing::SigningSession session,
                        signing::SigningSession::Open(o.offline, [&] {
                          return build::LoadKeySigner(o.key_dir);
                        }).Context("keys"));
  keys.signer = &session.signer();
  std::error_code ec;
  fs::path out = fs::absolute(o.out_dir, ec);
  HULL_ASSIGN_OR_RETURN(TempDir tmp, WorkDirBeside(out, "customize"));
  const std::string work = tmp.path(), root = work + "/tree", staged = work + "/out";
  fs::create_directories(root, ec);
  fs::create_directories(staged, ec);
  CustomizeResult res;
  Base b;
  HULL_TRY(Step(o, res, "base", [&]() -> Result<bool> {
    HULL_TRY(ReadBase(o, base_certs, work, b));
    return true;
  }));
  HULL_ASSIGN_OR_RETURN(auto base_pe, pe::ParsePe(b.x.payload.uki));
  HULL_ASSIGN_OR_RETURN(ByteSpan base_cmdline_bytes,
                        SectionData(base_pe, b.x.payload.uki, ".cmdline"));
  const std::string base_cmdline(reinterpret_cast<const char*>(base_cmdline_bytes.data()),
                                 base_cmdline_bytes.size());
  // A release has no root partition: its UKI's hull.roottemplate= stays.
  // The root is copied and hashed on a second thread while /usr is unpacked
  // (fsck.erofs, a process of its own): "unpack" spans both.
  std::string root_template;
  HULL_TRY(Step(o, res, "unpack", [&]() -> Result<bool> {
    std::future<Result<std::string>> copied;
    if (!o.from_release)
      copied = std::async(std::launch::async, [&] {
        return CopyRoot(b.raw.path, b.table, base_cmdline, work + "/root.ext4").Context("root");
      });
    Status unpacked = UnpackBase(work, root, b);
    if (copied.valid()) {
      Result<std::string> r = copied.get();
      if (!r.ok()) return std::move(r).error();
      root_template = std::move(*r);
    }
    HULL_TRY(std::move(unpacked));
    HULL_TRY(AwaitDigest(b));
    return true;
  }));
  // Offline signing: the base image is the state the injecting run must be
  // in again (the configuration's effects are in the payloads' digests).
  HULL_TRY(session.Bind(fmt::format("customize of base image sha256 {}", b.sha256)));
  const int64_t epoch = o.source_date_epoch >= 0 ? o.source_date_epoch : b.build_time;
  b.build_time = epoch;
  HULL_ASSIGN_OR_RETURN(
      std::vector<Change> changes, Step(o, res, "apply", [&]() -> Result<std::vector<Change>> {
        HULL_ASSIGN_OR_RETURN(auto c, Apply(config, root));
        HULL_ASSIGN_OR_RETURN(auto t,
                              ApplyTrust(config.trust, root + "/usr", keys, o.key_dir, work));
        c.insert(c.end(), t.begin(), t.end());
        return c;
      }));
  const char* modes[] = {"enforcing", "permissive", "disabled"};
  const std::string selinux = config.selinux ? modes[int(*config.selinux)] : b.selinux;
  HULL_ASSIGN_OR_RETURN(Sealed s, Step(o, res, "pack", [&] {
                          return PackAndSeal(b, root, selinux, keys, work, epoch);
                        }));
  const std::string cmdline =
      CustomizedCmdline(base_cmdline, HexEncode(s.root_hash), root_template,
                        config.selinux ? selinux : "", config.extra_cmdline);
  HULL_ASSIGN_OR_RETURN(build::UkiResult uki, Step(o, res, "uki", [&] {
                          return MakeUki(o, b, root, cmdline, keys, staged + "/" + b.x.uki_file);
                        }));
  // The unpacked tree and the base's /usr copy are read no more: removed on a
  // second thread while the ESP and the disk are written (thousands of
  // unlinks that would otherwise follow the last step).
  auto removed =
      std::async(std::launch::async, [root, base_usr = work + "/base/" + slot::kUsrFile] {
        std::error_code rm_ec;
        fs::remove_all(root, rm_ec);
        fs::remove(base_usr, rm_ec);
      });
  uint64_t esp_bytes = 0;
  if (!o.from_release) {
    HULL_ASSIGN_OR_RETURN(esp_bytes, Step(o, res, "esp", [&] {
                            return build::MakeEspTree(o.systemd_boot, uki.path, b.x.uki_file, keys,
                                                      work + "/esp", epoch);
                          }));
  }
  // Every signature has been asked for: recording ends here, as in hull build.
  HULL_TRY(session.Finish("customize"));
  if (session.recording()) {
    res.sign_offline_dir = o.offline.sign_offline_dir;
    return res;
  }
  const std::string stem =
      fmt::format("{}_{}", b.os_release.count("IMAGE_ID") ? b.os_release.at("IMAGE_ID") : "hull",
                  b.x.payload.version);
  std::string disk_name = stem + "." + spec::OutputName(config.output_format);
  disk::CreateResult disk;
  if (o.from_release) {
    disk_name = "payload.json";
    HULL_ASSIGN_OR_RETURN(disk.sha256, Step(o, res, "payload", [&] {
                            return WritePayload(s, b.x.payload.version, staged);
                          }));
  } else {
    HULL_ASSIGN_OR_RETURN(disk, Step(o, res, "disk", [&]() -> Result<disk::CreateResult> {
                            return MakeDisk(b, s, work, esp_bytes, staged + "/" + disk_name,
                                            base_pe.machine, config.output_format);
                          }));
  }
  HULL_TRY(Step(o, res, "record", [&]() -> Result<bool> {
    RecordInputs ri{.image = o.from_release ? std::string() : o.image,
                    .release = o.from_release ? o.from_release->repo : std::string(),
                    .image_sha256 = b.sha256,
                    .base_version = b.x.payload.version,
                    .base_root_hash = b.x.payload.root_hash,
                    .image_format = o.from_release ? "payload" : spec::OutputName(b.raw.format),
                    .base_sbom = o.base_sbom,
                    .root_hash = HexEncode(s.root_hash),
                    .cmdline = uki.cmdline,
                    .pcr11 = uki.pcr11,
                    .changes = changes,
                    .epoch = epoch,
                    .image_id = b.os_release.count("IMAGE_ID") ? b.os_release.at("IMAGE_ID") : "",
                    .stem = stem,
                    .disk_name = disk_name,
                    .disk_sha256 = disk.sha256,
                    .uki_name = b.x.uki_file,
                    .out_dir = staged};
    HULL_ASSIGN_OR_RETURN(res.manifest, WriteRecord(ri));
    return true;
  }));
  if (fs::exists(out, ec)) fs::remove(out, ec);  // empty (checked above)
  if (::rename(staged.c_str(), out.c_str()) != 0)
    return ErrnoError(errno, "moving the outputs to", out.string());
  res.out_dir = out.string();
  return res;
}

std::string Summary(const CustomizeResult& r) {
  const auto& m = r.manifest;
  if (m.contains("rebuild")) return RebuildSummary(r);
  const std::string base = m["base"].contains("repository")
                               ? "release of " + m["base"]["repository"].get<std::string>()
                               : m["base"]["image"].get<std::string>();
  std::string s = fmt::format("Customized {} {} into {}\n", base,
                              m["base"]["version"].get<std::string>(), r.out_dir);
  s += fmt::format("  changes     {}\n", m["changes"].size());
  s += fmt::format("  root hash   {}\n", m["usr"]["root_hash"].get<std::string>());
  s += fmt::format("  cmdline     {}\n", m["uki"]["cmdline"].get<std::string>());
  double total = 0;
  s += "  steps      ";
  for (const auto& [name, secs] : r.step_seconds) {
    s += fmt::format(" {} {:.1f}s", name, secs);
    total += secs;
  }
  s += fmt::format("; total {:.1f}s\n", total);
  return s;
}

}  // namespace hull::customize
