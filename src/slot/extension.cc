#include "slot/extension.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/hex.h"
#include "gpt/dps.h"
#include "node/os_release.h"
#include "slot/check.h"
#include "verity/signature.h"
#include "verity/superblock.h"
#include "verity/tree.h"

namespace hull::slot {
namespace {

struct Parts {
  const gpt::Partition* data = nullptr;
  const gpt::Partition* verity = nullptr;
  const gpt::Partition* sig = nullptr;
  gpt::Arch arch = gpt::Arch::kAny;
};

Result<Parts> FindParts(std::string_view name, const gpt::Table& table) {
  Parts p;
  for (const auto& part : table.partitions) {
    const gpt::PartitionType* t = gpt::LookupTypeGuid(part.type);
    const gpt::Partition** slot = nullptr;
    if (t && t->role == gpt::Role::kRoot) slot = &p.data;
    if (t && t->role == gpt::Role::kRootVerity) slot = &p.verity;
    if (t && t->role == gpt::Role::kRootVeritySig) slot = &p.sig;
    if (!slot) continue;
    if (*slot) return Errorf(ErrorCode::kCorrupt, "extension {}: two {} partitions", name, t->name);
    if (p.arch != gpt::Arch::kAny && t->arch != p.arch)
      return Errorf(ErrorCode::kCorrupt, "extension {}: partitions of two architectures", name);
    p.arch = t->arch;
    *slot = &part;
  }
  if (!p.data || !p.verity || !p.sig)
    return Errorf(ErrorCode::kCorrupt,
                  "extension {}: needs a root, a root-verity and a root-verity-sig partition "
                  "(an image made by 'hull sysext build')",
                  name);
  return p;
}

Result<Bytes> ReadPart(const gpt::Source& src, const gpt::Partition& p, uint32_t sector_size,
                       uint64_t max) {
  const uint64_t size = p.sectors() * uint64_t(sector_size);
  Bytes out(std::min(size, max));
  HULL_TRY(src.ReadAt(p.first_lba * uint64_t(sector_size), out));
  return out;
}

// The signature partition's root hash, its signature verified against the
// trust set; returns the signer's subject.
Result<std::string> VerifySignature(std::string_view name, const verity::SignaturePartition& sig,
                                    const TrustSet& trust) {
  if (trust.verity.empty())
    return Errorf(ErrorCode::kRefused,
                  "extension {}: the node's trust set ({}/verity) has no certificate to verify "
                  "it with",
                  name, trust.dir);
  std::vector<const crypto::Certificate*> candidates;
  for (const auto& c : trust.verity) {
    if (sig.certificate_fingerprint.empty() ||
        HexEncode(c.Fingerprint()) == sig.certificate_fingerprint)
      candidates.push_back(&c);
  }
  if (candidates.empty())
    return Errorf(ErrorCode::kRefused,
                  "extension {}: signed by certificate {}, which is not in the node's trust set "
                  "({}/verity): sign it with the image's verity key",
                  name, sig.certificate_fingerprint, trust.dir);
  Status last = Ok();
  for (const crypto::Certificate* c : candidates) {
    last = verity::VerifyRootHashSignature(sig.root_hash, sig.signature, *c);
    if (last.ok()) return c->Subject();
  }
  return Errorf(ErrorCode::kVerifyFailed, "extension {}: root hash signature: {}", name,
                last.error().ToString());
}

Result<verity::VerityParams> CheckTree(std::string_view name, const gpt::Source& src,
                                       const Parts& p, uint32_t sector_size) {
  HULL_ASSIGN_OR_RETURN(Bytes sb, ReadPart(src, *p.verity, sector_size, verity::kSuperblockSize));
  return CheckExtensionTree(name, sb, p.data->sectors() * uint64_t(sector_size),
                            p.verity->sectors() * uint64_t(sector_size));
}

}  // namespace

Result<verity::VerityParams> CheckExtensionTree(std::string_view name, ByteSpan superblock,
                                                uint64_t data_bytes, uint64_t verity_bytes) {
  HULL_ASSIGN_OR_RETURN(
      verity::VerityParams params,
      verity::DecodeSuperblock(superblock).Context(fmt::format("extension {}", name)));
  if (params.algorithm != crypto::DigestAlgorithm::kSha256 || params.hash_type != 1)
    return Errorf(ErrorCode::kUnsupported, "extension {}: the verity tree is not SHA-256 (type 1)",
                  name);
  uint64_t tree_data = 0;
  if (params.data_blocks == 0 ||
      !CheckedMul(params.data_blocks, uint64_t(params.data_block_size), &tree_data) ||
      tree_data > data_bytes)
    return Errorf(ErrorCode::kCorrupt,
                  "extension {}: {} data blocks of {} bytes do not fit the root partition ({} "
                  "bytes)",
                  name, params.data_blocks, params.data_block_size, data_bytes);
  auto geometry = verity::ComputeGeometry(params);
  if (!geometry.ok() || geometry->hash_end_bytes() > verity_bytes)
    return Errorf(ErrorCode::kCorrupt,
                  "extension {}: the hash tree does not fit the root-verity partition", name);
  return params;
}

Result<gpt::Arch> ExtensionArch(std::string_view name, const gpt::Table& table) {
  HULL_ASSIGN_OR_RETURN(Parts p, FindParts(name, table));
  return p.arch;
}

Result<ExtensionImage> VerifyExtensionImage(std::string_view name, const gpt::Source& image,
                                            const TrustSet& trust, gpt::Arch native) {
  HULL_ASSIGN_OR_RETURN(gpt::Table table,
                        gpt::ReadAuto(image).Context(fmt::format("extension {}: GPT", name)));
  HULL_ASSIGN_OR_RETURN(Parts p, FindParts(name, table));
  if (p.arch != native)
    return Errorf(ErrorCode::kRefused, "extension {}: built for {}, this node is {}", name,
                  gpt::ArchName(p.arch), gpt::ArchName(native));
  const uint32_t ss = table.sector_size;
  HULL_ASSIGN_OR_RETURN(Bytes sig_bytes, ReadPart(image, *p.sig, ss, kMaxSignatureBytes));
  HULL_ASSIGN_OR_RETURN(
      verity::SignaturePartition sig,
      verity::DecodeSignaturePartition(sig_bytes).Context(fmt::format("extension {}", name)));
  if (sig.root_hash.size() != 32)
    return Errorf(ErrorCode::kCorrupt, "extension {}: root hash of {} bytes, expected 32 (SHA-256)",
                  name, sig.root_hash.size());
  ExtensionImage out;
  HULL_ASSIGN_OR_RETURN(out.signer, VerifySignature(name, sig, trust));
  HULL_ASSIGN_OR_RETURN(gpt::VerityUuids uuids, gpt::DpsVerityUuids(sig.root_hash));
  if (uuids.data != p.data->uuid || uuids.verity != p.verity->uuid)
    return Errorf(ErrorCode::kVerifyFailed,
                  "extension {}: the signed root hash {} does not name its root and root-verity "
                  "partitions",
                  name, HexEncode(sig.root_hash));
  HULL_ASSIGN_OR_RETURN(out.params, CheckTree(name, image, p, ss));
  out.name = std::string(name);
  out.arch = p.arch;
  out.root_hash = std::move(sig.root_hash);
  out.data_offset = p.data->first_lba * uint64_t(ss);
  out.data_bytes = p.data->sectors() * uint64_t(ss);
  out.verity_offset = p.verity->first_lba * uint64_t(ss);
  out.verity_bytes = p.verity->sectors() * uint64_t(ss);
  return out;
}

Status VerifyExtensionContent(const File& image, const ExtensionImage& ext) {
  verity::VerityParams p = ext.params;
  p.data_offset = ext.data_offset;
  p.hash_offset = ext.verity_offset;
  HULL_ASSIGN_OR_RETURN(verity::VerifyResult v, verity::VerifyTree(image, image, p, ext.root_hash));
  if (!v.ok())
    return Errorf(
        ErrorCode::kVerifyFailed, "extension {}: {}", ext.name,
        v.mismatches.empty() ? "the tree does not match the signed root hash" : v.Describe());
  return Ok();
}

Status CheckExtensionTop(std::string_view name, const std::vector<TopEntry>& entries) {
  bool usr = false;
  for (const TopEntry& e : entries) {
    if (e.name == "usr" && e.directory) {
      usr = true;
      continue;
    }
    return Errorf(ErrorCode::kRefused,
                  "extension {}: its file system holds /{}{} at its top, where an extension "
                  "holds the directory usr/ only (build it with 'hull sysext build')",
                  name, e.name, e.directory ? "/" : " (not a directory)");
  }
  if (!usr)
    return Errorf(ErrorCode::kRefused,
                  "extension {}: its file system has no usr/ at its top: rebuild it with 'hull "
                  "sysext build'",
                  name);
  return Ok();
}

Status CheckExtensionCompatibility(std::string_view name, const node::OsRelease& ext,
                                   const node::OsRelease& os) {
  auto get = [](const node::OsRelease& m, std::string_view key) {
    auto it = m.find(key);
    return it == m.end() ? std::string() : it->second;
  };
  auto refuse = [&](std::string_view key, const std::string& want, const std::string& have) {
    return Errorf(ErrorCode::kRefused,
                  "extension {}: built for {}={}, this node has {}={}: rebuild or publish it "
                  "for this OS",
                  name, key, want.empty() ? "(none)" : want, key, have.empty() ? "(none)" : have);
  };
  if (get(ext, "ID").empty() || get(ext, "ID") != get(os, "ID"))
    return refuse("ID", get(ext, "ID"), get(os, "ID"));
  if (std::string level = get(ext, "SYSEXT_LEVEL"); !level.empty()) {
    if (level != get(os, "SYSEXT_LEVEL"))
      return refuse("SYSEXT_LEVEL", level, get(os, "SYSEXT_LEVEL"));
  } else if (std::string v = get(ext, "VERSION_ID"); v.empty() || v != get(os, "VERSION_ID")) {
    return refuse("VERSION_ID", v, get(os, "VERSION_ID"));
  }
  if ((ext.contains("ARCHITECTURE") || os.contains("ARCHITECTURE")) &&
      get(ext, "ARCHITECTURE") != get(os, "ARCHITECTURE"))
    return refuse("ARCHITECTURE", get(ext, "ARCHITECTURE"), get(os, "ARCHITECTURE"));
  return Ok();
}

Status CheckExtensionRelease(std::string_view name, std::string_view extension_release,
                             std::string_view os_release, gpt::Arch arch) {
  const node::OsRelease ext = node::ParseOsRelease(extension_release);
  node::OsRelease os = node::ParseOsRelease(os_release);
  // The booted OS's os-release names no architecture: the node's is the one.
  os["ARCHITECTURE"] = std::string(gpt::ArchName(arch));
  return CheckExtensionCompatibility(name, ext, os);
}

}  // namespace hull::slot
