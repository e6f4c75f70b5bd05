// hull verity format|verify|dump|sign|verify-sig
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>

#include <sys/stat.h>

#include "base/hex.h"
#include "base/progress.h"
#include "cli.h"
#include "crypto/key.h"
#include "pkcs11/key_ref.h"
#include "signing/offline.h"
#include "verity/signature.h"
#include "verity/superblock.h"
#include "verity/tree.h"

namespace hull::cli {
namespace {

struct VerityArgs {
  std::string data, hash, root_hash;
  std::string algorithm = "sha256";
  uint32_t data_block_size = 4096, hash_block_size = 4096;
  uint64_t data_blocks = 0;
  std::string salt, uuid;
  bool no_superblock = false;
  uint64_t hash_offset = 0;
  uint32_t format = 1;
  bool json = false;
  unsigned threads = 0;
};

void AddTreeOptions(CLI::App* c, VerityArgs& a) {
  c->add_option("--hash", a.algorithm, "Hash algorithm: sha256 (default), sha1, sha512")
      ->capture_default_str();
  c->add_option("--data-block-size", a.data_block_size, "Data block size in bytes (default 4096)");
  c->add_option("--hash-block-size", a.hash_block_size, "Hash block size in bytes (default 4096)");
  c->add_option("--data-blocks", a.data_blocks,
                "Use only this many data blocks (default: the whole data file)");
  c->add_option("--salt", a.salt, "Salt as hex, or - for none (default: 32 random bytes)");
  c->add_flag("--no-superblock", a.no_superblock, "Do not write/read the superblock");
  c->add_option("--hash-offset", a.hash_offset,
                "Byte offset of the superblock (or tree) in the hash file (multiple of 512)");
  c->add_option("--format", a.format, "Hash format: 1 (normal, default) or 0 (Chrome OS)")
      ->check(CLI::Range(0, 1));
  c->add_option("--threads", a.threads, "Worker threads (default: all cores)");
  c->add_flag("--json", a.json, "Print the result as JSON");
}

Result<verity::VerityParams> ParamsFromArgs(const VerityArgs& a, bool random_defaults) {
  verity::VerityParams p;
  HULL_ASSIGN_OR_RETURN(p.algorithm, crypto::ParseDigestAlgorithm(a.algorithm));
  p.hash_type = a.format;
  p.data_block_size = a.data_block_size;
  p.hash_block_size = a.hash_block_size;
  p.data_blocks = a.data_blocks;
  p.superblock = !a.no_superblock;
  p.hash_offset = a.hash_offset;
  std::random_device rd;
  if (a.salt == "-") {
    p.salt.clear();
  } else if (!a.salt.empty()) {
    HULL_ASSIGN_OR_RETURN(p.salt, HexDecode(a.salt).Context("--salt"));
  } else if (random_defaults) {
    p.salt.resize(32);
    for (auto& b : p.salt) b = uint8_t(rd());
  }
  if (!a.uuid.empty()) {
    HULL_ASSIGN_OR_RETURN(p.uuid, Uuid::Parse(a.uuid).Context("--uuid"));
  } else if (random_defaults && p.superblock) {
    Bytes u(16);
    for (auto& b : u) b = uint8_t(rd());
    u[6] = uint8_t((u[6] & 0x0f) | 0x40);  // version 4
    u[8] = uint8_t((u[8] & 0x3f) | 0x80);  // RFC 4122 variant
    p.uuid = Uuid::FromBytes(u);
  }
  HULL_TRY(verity::ValidateParams(p));
  return p;
}

nlohmann::json ParamsJson(const verity::VerityParams& p, const verity::Geometry* g) {
  nlohmann::json j{{"hash_type", p.hash_type},
                   {"algorithm", crypto::DigestName(p.algorithm)},
                   {"data_block_size", p.data_block_size},
                   {"hash_block_size", p.hash_block_size},
                   {"data_blocks", p.data_blocks},
                   {"salt", p.salt.empty() ? "-" : HexEncode(p.salt)},
                   {"superblock", p.superblock},
                   {"hash_offset", p.hash_offset}};
  if (p.superblock) j["uuid"] = p.uuid.ToString();
  if (g) {
    j["hash_blocks"] = g->hash_blocks();
    j["levels"] = g->levels();
    j["hash_start_block"] = g->tree_start_block;
    j["hash_device_size"] = g->hash_end_bytes();
  }
  return j;
}

// The veritysetup-style header block, so output reads the same.
void PrintHeader(const std::string& hash_path, const verity::VerityParams& p,
                 const verity::Geometry* g) {
  std::printf("VERITY header information for %s\n", hash_path.c_str());
  std::printf("UUID:            \t%s\n", p.superblock ? p.uuid.ToString().c_str() : "");
  std::printf("Hash type:       \t%u\n", p.hash_type);
  std::printf("Data blocks:     \t%llu\n", (unsigned long long)p.data_blocks);
  std::printf("Data block size: \t%u\n", p.data_block_size);
  if (g) std::printf("Hash blocks:     \t%llu\n", (unsigned long long)g->hash_blocks());
  std::printf("Hash block size: \t%u\n", p.hash_block_size);
  std::printf("Hash algorithm:  \t%s\n", crypto::DigestName(p.algorithm));
  std::printf("Salt:            \t%s\n", p.salt.empty() ? "-" : HexEncode(p.salt).c_str());
}

// Writes the tree in place when the hash file must keep other content (an
// offset into it, a block device, or the data file itself); otherwise into a
// temp file renamed over HASH only when complete.
Result<verity::FormatResult> FormatToPath(const File& data, const std::string& hash_path,
                                          const verity::VerityParams& p,
                                          const verity::EngineOptions& eo) {
  namespace fs = std::filesystem;
  std::error_code ec;
  bool exists = fs::exists(hash_path, ec);
  bool in_place = exists && (p.hash_offset > 0 || !fs::is_regular_file(hash_path, ec) ||
                             fs::equivalent(hash_path, data.path(), ec));
  if (in_place) {
    HULL_ASSIGN_OR_RETURN(File hash, File::OpenReadWrite(hash_path));
    HULL_ASSIGN_OR_RETURN(auto r, verity::FormatTree(data, hash, p, eo));
    HULL_TRY(hash.Sync());
    return r;
  }
  HULL_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::Create(hash_path, 0644));
  HULL_ASSIGN_OR_RETURN(auto r, verity::FormatTree(data, out.file(), p, eo));
  HULL_TRY(out.Commit());
  return r;
}

int RunFormat(const VerityArgs& a) {
  auto run = [&]() -> Status {
    HULL_ASSIGN_OR_RETURN(verity::VerityParams p, ParamsFromArgs(a, true));
    HULL_ASSIGN_OR_RETURN(File data, File::OpenRead(a.data));
    uint64_t size = data.Size().ok() ? *data.Size() : 0;
    Progress progress("hashing " + a.data, a.data_blocks ? a.data_blocks * p.data_block_size : size,
                      a.json ? ProgressMode::kQuiet : ProgressMode::kAuto);
    verity::EngineOptions eo{a.threads, &progress};
    auto t0 = std::chrono::steady_clock::now();
    HULL_ASSIGN_OR_RETURN(auto r, FormatToPath(data, a.hash, p, eo));
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    progress.Finish();
    if (a.json) {
      nlohmann::json j = ParamsJson(r.params, &r.geometry);
      j["root_hash"] = HexEncode(r.root_hash);
      j["seconds"] = secs;
      PrintJson(j);
    } else {
      PrintHeader(a.hash, r.params, &r.geometry);
      std::printf("Root hash:      \t%s\n", HexEncode(r.root_hash).c_str());
      std::printf("Hash device size: \t%llu [bytes]\n",
                  (unsigned long long)r.geometry.hash_end_bytes());
    }
    return Ok();
  };
  Status st = run();
  return st.ok() ? kExitOk : ReportError(std::move(st).error().Wrap("verity format"));
}

int RunVerify(const VerityArgs& a) {
  auto run = [&]() -> Result<bool> {
    HULL_ASSIGN_OR_RETURN(Bytes root, HexDecode(a.root_hash).Context("ROOT_HASH"));
    HULL_ASSIGN_OR_RETURN(File data, File::OpenRead(a.data));
    HULL_ASSIGN_OR_RETURN(File hash, File::OpenRead(a.hash));
    verity::VerityParams p;
    if (a.no_superblock) {
      HULL_ASSIGN_OR_RETURN(p, ParamsFromArgs(a, false));
    } else {
      HULL_ASSIGN_OR_RETURN(p, verity::ReadSuperblock(hash, a.hash_offset));
    }
    if (root.size() != crypto::DigestSize(p.algorithm)) {
      return Errorf(ErrorCode::kInvalidArgument, "ROOT_HASH has {} bytes; {} needs {}", root.size(),
                    crypto::DigestName(p.algorithm), crypto::DigestSize(p.algorithm));
    }
    HULL_ASSIGN_OR_RETURN(uint64_t size, data.Size());
    Progress progress("verifying " + a.data,
                      p.data_blocks ? p.data_blocks * p.data_block_size : size,
                      a.json ? ProgressMode::kQuiet : ProgressMode::kAuto);
    verity::EngineOptions eo{a.threads, &progress};
    HULL_ASSIGN_OR_RETURN(auto r, verity::VerifyTree(data, hash, p, root, eo));
    progress.Finish();
    if (a.json) {
      nlohmann::json j{
          {"ok", r.ok()}, {"root_hash", HexEncode(r.root_hash)}, {"root_matches", r.root_matches}};
      nlohmann::json ms = nlohmann::json::array();
      for (const auto& m : r.mismatches) {
        ms.push_back({{"level", m.level},
                      {"hash_block", m.hash_block},
                      {"child", m.child},
                      {"padding", m.padding}});
      }
      j["mismatches"] = ms;
      j["detail"] = r.Describe();
      PrintJson(j);
    } else if (r.ok()) {
      std::printf("Verification of data area succeeded.\n");
    } else {
      std::fprintf(stderr, "hull: verity verify: %s\n", r.Describe().c_str());
    }
    return r.ok();
  };
  auto r = run();
  if (!r) return ReportError(std::move(r).error().Wrap("verity verify"));
  return *r ? kExitOk : kExitFailed;
}

int RunDump(const VerityArgs& a) {
  auto run = [&]() -> Status {
    HULL_ASSIGN_OR_RETURN(File hash, File::OpenRead(a.hash));
    HULL_ASSIGN_OR_RETURN(verity::VerityParams p, verity::ReadSuperblock(hash, a.hash_offset));
    HULL_ASSIGN_OR_RETURN(verity::Geometry g, verity::ComputeGeometry(p));
    if (a.json) {
      PrintJson(ParamsJson(p, &g));
      return Ok();
    }
    PrintHeader(a.hash, p, &g);
    std::printf("Hash device size: \t%llu [bytes]\n", (unsigned long long)g.hash_end_bytes());
    return Ok();
  };
  Status st = run();
  return st.ok() ? kExitOk : ReportError(std::move(st).error().Wrap("verity dump"));
}

struct SignArgs {
  std::string key, cert, root_hash, signature, out;
  signing::OfflineOptions offline;
  bool dps = false;
};

int RunSign(const SignArgs& a) {
  auto run = [&]() -> Status {
    HULL_ASSIGN_OR_RETURN(Bytes root, HexDecode(a.root_hash).Context("ROOT_HASH"));
    if (a.key.empty() && !a.offline.offline()) {
      return Error(ErrorCode::kInvalidArgument,
                   "--key (or --sign-offline/--inject-signatures) is required");
    }
    HULL_ASSIGN_OR_RETURN(auto cert, crypto::Certificate::Load(a.cert));
    HULL_ASSIGN_OR_RETURN(
        auto session, signing::SigningSession::Open(a.offline, [&]() -> Result<crypto::KeySigner> {
          HULL_ASSIGN_OR_RETURN(auto key, pkcs11::LoadPrivateKey(a.key));
          return crypto::KeySigner(std::move(key));
        }));
    HULL_ASSIGN_OR_RETURN(Bytes sig, verity::SignRootHash(root, cert, session.signer(),
                                                          {.name = "root-hash", .role = "verity"}));
    HULL_TRY(session.Finish("verity sign"));
    if (session.recording()) {
      std::printf("%s", OfflineHint(a.offline.sign_offline_dir).c_str());
      return Ok();
    }
    if (a.dps) {
      HULL_ASSIGN_OR_RETURN(sig, verity::EncodeSignaturePartition(root, sig, cert));
    }
    if (!a.out.empty()) return WriteFileAtomic(a.out, sig);
    if (::isatty(1)) {
      return Error(ErrorCode::kInvalidArgument,
                   "refusing to write a binary signature to a terminal: use --out FILE or > FILE");
    }
    std::fwrite(sig.data(), 1, sig.size(), stdout);
    return Ok();
  };
  Status st = run();
  return st.ok() ? kExitOk : ReportError(std::move(st).error().Wrap("verity sign"));
}

int RunVerifySig(const SignArgs& a) {
  auto run = [&]() -> Status {
    HULL_ASSIGN_OR_RETURN(Bytes root, HexDecode(a.root_hash).Context("ROOT_HASH"));
    HULL_ASSIGN_OR_RETURN(auto cert, crypto::Certificate::Load(a.cert));
    HULL_ASSIGN_OR_RETURN(Bytes sig, ReadFileBytes(a.signature, 1 << 20));
    HULL_TRY(verity::VerifyRootHashSignature(root, sig, cert));
    std::printf("Signature over root hash %s verified by %s.\n", a.root_hash.c_str(),
                cert.Subject().c_str());
    return Ok();
  };
  Status st = run();
  return st.ok() ? kExitOk : ReportError(std::move(st).error().Wrap("verity verify-sig"));
}

}  // namespace

void RegisterVerity(CLI::App& app, Context& ctx) {
  auto* verity = app.add_subcommand("verity", "dm-verity hash trees, bit-identical to veritysetup");
  verity->require_subcommand(1);
  auto a = std::make_shared<VerityArgs>();
  auto s = std::make_shared<SignArgs>();

  auto* fmt = verity->add_subcommand("format", "Compute the hash tree of DATA into HASH");
  fmt->add_option("DATA", a->data, "Data file or device")->required();
  fmt->add_option("HASH", a->hash, "Hash file or device (replaced atomically)")->required();
  fmt->add_option("--uuid", a->uuid, "Superblock UUID (default: random)");
  AddTreeOptions(fmt, *a);
  fmt->footer(
      "Example: hull verity format usr.erofs usr.verity --salt=- --uuid=$(uuidgen)\n"
      "Prints the root hash; pass it to 'verity verify' or the usrhash= cmdline.");
  fmt->callback([&ctx, a] { ctx.action = [a] { return RunFormat(*a); }; });

  auto* ver = verity->add_subcommand("verify", "Verify DATA against HASH and ROOT_HASH");
  ver->add_option("DATA", a->data, "Data file or device")->required();
  ver->add_option("HASH", a->hash, "Hash file or device")->required();
  ver->add_option("ROOT_HASH", a->root_hash, "Expected root hash (hex)")->required();
  AddTreeOptions(ver, *a);
  ver->footer(
      "Parameters come from the superblock unless --no-superblock is given.\n"
      "Exit status: 0 verified, 1 mismatch (the first bad block is named), 2 error.");
  ver->callback([&ctx, a] { ctx.action = [a] { return RunVerify(*a); }; });

  auto* dump = verity->add_subcommand("dump", "Print the superblock of HASH");
  dump->add_option("HASH", a->hash, "Hash file or device")->required();
  dump->add_option("--hash-offset", a->hash_offset, "Byte offset of the superblock");
  dump->add_flag("--json", a->json, "Print as JSON");
  dump->callback([&ctx, a] { ctx.action = [a] { return RunDump(*a); }; });

  auto* sign = verity->add_subcommand(
      "sign",
      "Sign a root hash (PKCS#7 detached DER, as dm-verity root_hash_sig_key_desc expects)");
  sign->add_option("ROOT_HASH", s->root_hash, "Root hash (hex)")->required();
  sign->add_option("--key", s->key,
                   "Private key: PEM file, pkcs11: URI, or a file holding one (docs/keys.md)");
  sign->add_option("--cert", s->cert, "Signer certificate (PEM or DER)")->required();
  AddOfflineOptions(*sign, s->offline);
  sign->add_option("--out", s->out, "Write the signature here (default: stdout)");
  sign->add_flag("--dps", s->dps,
                 "Write the DPS usr-verity-sig partition content (JSON with rootHash, signature,\n"
                 "certificateFingerprint; NUL-padded to 4 KiB) instead of the bare PKCS#7");
  sign->footer("Example: hull verity sign --key verity.key --cert verity.crt $ROOT > usr.p7s");
  sign->callback([&ctx, s] { ctx.action = [s] { return RunSign(*s); }; });

  auto* vsig = verity->add_subcommand("verify-sig", "Verify a root hash signature");
  vsig->add_option("ROOT_HASH", s->root_hash, "Root hash (hex)")->required();
  vsig->add_option("SIG", s->signature, "Signature file (DER PKCS#7)")->required();
  vsig->add_option("--cert", s->cert, "Trusted signer certificate")->required();
  vsig->callback([&ctx, s] { ctx.action = [s] { return RunVerifySig(*s); }; });
}

}  // namespace hull::cli
