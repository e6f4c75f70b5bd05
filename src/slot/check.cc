#include "slot/check.h"

#include <algorithm>

#include "base/hex.h"
#include "gpt/dps.h"
#include "gpt/types.h"
#include "verity/signature.h"
#include "verity/tree.h"

namespace hull::slot {
namespace {

using PartList = std::vector<const gpt::Partition*>;

// The first untaken partition of `list` labelled `label` (any label when
// empty), marked taken; nullopt when none.
std::optional<gpt::Partition> Take(PartList& list, const std::string* label) {
  for (auto& p : list) {
    if (p && (!label || p->name == *label)) {
      gpt::Partition out = *p;
      p = nullptr;
      return out;
    }
  }
  return std::nullopt;
}

uint64_t Offset(const gpt::Partition& p, uint32_t sector_size) {
  return p.first_lba * sector_size;  // the GPT codec keeps LBAs inside the disk
}

uint64_t Size(const gpt::Partition& p, uint32_t sector_size) { return p.sectors() * sector_size; }

struct Run {
  const File& disk;
  uint32_t sector_size;
  const SlotParts& parts;
  const CheckOptions& options;
  SlotCheck& out;

  void Add(const char* check, Outcome o, std::string detail,
           ErrorCode code = ErrorCode::kVerifyFailed) {
    out.findings.push_back({check, o, std::move(detail), code});
  }

  // Superblock, then data and tree inside their partitions. The product and
  // sums come from an untrusted superblock: all checked.
  std::optional<verity::VerityParams> Sizes() {
    if (!parts.verity) {
      Add(kCheckTree, Outcome::kFail, "no usr-verity partition for this usr partition",
          ErrorCode::kCorrupt);
      return std::nullopt;
    }
    uint64_t ver_off = Offset(*parts.verity, sector_size);
    auto params = verity::ReadSuperblock(disk, ver_off);
    if (!params.ok()) {
      Add(kCheckSizes, Outcome::kFail, params.error().ToString(), params.error().code());
      return std::nullopt;
    }
    params->data_offset = Offset(parts.usr, sector_size);
    out.data_blocks = params->data_blocks;
    uint64_t data_bytes = 0;
    if (!CheckedMul(params->data_blocks, uint64_t(params->data_block_size), &data_bytes) ||
        data_bytes > Size(parts.usr, sector_size)) {
      Add(kCheckSizes, Outcome::kFail,
          fmt::format("{} data blocks of {} bytes run past the usr partition ({} bytes)",
                      params->data_blocks, params->data_block_size, Size(parts.usr, sector_size)));
      return std::nullopt;
    }
    auto geometry = verity::ComputeGeometry(*params);
    uint64_t ver_end = 0;
    if (!geometry.ok() || !CheckedAdd(ver_off, Size(*parts.verity, sector_size), &ver_end) ||
        geometry->hash_end_bytes() > ver_end) {
      Add(kCheckSizes, Outcome::kFail,
          geometry.ok() ? "the hash tree runs past the usr-verity partition"
                        : geometry.error().ToString());
      return std::nullopt;
    }
    Add(kCheckSizes, Outcome::kPass,
        fmt::format("{} data blocks and a {}-level tree fit their partitions", params->data_blocks,
                    geometry->levels()));
    return std::move(params).value();
  }

  // The signature partition's root hash (empty when it cannot be read).
  Bytes Signature() {
    // DPS makes the signature partition optional; Hull's own slots always
    // have one (ReadDiskState refuses a table without).
    if (!parts.signature) {
      Add(kCheckSignature, Outcome::kSkip, "no usr-verity-sig partition for this usr partition");
      return {};
    }
    Bytes content(std::min(Size(*parts.signature, sector_size), kMaxSignatureBytes));
    if (Status st = disk.ReadAt(Offset(*parts.signature, sector_size), content); !st.ok()) {
      Add(kCheckSignature, Outcome::kFail, st.error().ToString(), st.error().code());
      return {};
    }
    auto sig = verity::DecodeSignaturePartition(content);
    if (!sig.ok()) {
      Add(kCheckSignature, Outcome::kFail, sig.error().ToString());
      return {};
    }
    out.signed_root_hash = HexEncode(sig->root_hash);
    out.certificate_fingerprint = sig->certificate_fingerprint;
    if (!options.cert) {
      Add(kCheckSignature, Outcome::kSkip, "no certificate given");
    } else if (Status st =
                   verity::VerifyRootHashSignature(sig->root_hash, sig->signature, *options.cert);
               !st.ok()) {
      Add(kCheckSignature, Outcome::kFail, st.error().ToString(), st.error().code());
    } else {
      Add(kCheckSignature, Outcome::kPass, "signed by " + options.cert->Subject());
    }
    return std::move(sig->root_hash);
  }

  void Tree(const verity::VerityParams& params, ByteSpan expected) {
    // With no root to compare against, the tree is still checked for
    // consistency level by level; its root is compared by the checks after.
    Bytes zero(crypto::DigestSize(params.algorithm), 0);
    auto v = verity::VerifyTree(disk, disk, params, expected.empty() ? ByteSpan(zero) : expected);
    if (!v.ok()) {
      Add(kCheckTree, Outcome::kFail, v.error().ToString(), v.error().code());
      return;
    }
    out.root_hash = HexEncode(v->root_hash);
    if (!v->mismatches.empty()) {
      Add(kCheckTree, Outcome::kFail, v->Describe());
      return;
    }
    Add(kCheckTree, Outcome::kPass,
        fmt::format("{} data blocks verified, root hash {}", params.data_blocks, out.root_hash));
  }

  void Roots() {
    if (out.root_hash.empty()) return;
    if (!out.signed_root_hash.empty()) {
      bool same = out.signed_root_hash == out.root_hash;
      Add(kCheckSignedRoot, same ? Outcome::kPass : Outcome::kFail,
          same ? out.root_hash
               : fmt::format("tree {} but signature partition {}", out.root_hash,
                             out.signed_root_hash));
    }
    auto uuids = gpt::DpsVerityUuids(*HexDecode(out.root_hash));
    if (options.check_uuids && uuids.ok()) {
      bool same = parts.usr.uuid == uuids->data && parts.verity->uuid == uuids->verity;
      Add(kCheckUuids, same ? Outcome::kPass : Outcome::kFail,
          same ? "usr and usr-verity UUIDs are the root hash halves (DPS)"
               : fmt::format("expected usr {} and verity {}", uuids->data.ToString(),
                             uuids->verity.ToString()));
    }
    if (!options.expected_root.empty()) {
      bool same = options.expected_root == out.root_hash;
      Add(kCheckExpected, same ? Outcome::kPass : Outcome::kFail,
          same ? out.root_hash
               : fmt::format("root hash {}, expected {}", out.root_hash, options.expected_root));
    }
  }
};

}  // namespace

std::vector<SlotParts> PairSlots(const gpt::Table& table) {
  PartList usr, ver, sig;
  for (const auto& p : table.partitions) {
    const gpt::PartitionType* t = gpt::LookupTypeGuid(p.type);
    if (!t) continue;
    if (t->role == gpt::Role::kUsr) usr.push_back(&p);
    if (t->role == gpt::Role::kUsrVerity) ver.push_back(&p);
    if (t->role == gpt::Role::kUsrVeritySig) sig.push_back(&p);
  }
  std::vector<SlotParts> slots;
  for (const gpt::Partition* u : usr) {
    const std::string ver_label = u->name + "_verity", sig_label = u->name + "_verity_sig";
    slots.push_back({*u, Take(ver, &ver_label), Take(sig, &sig_label)});
  }
  for (SlotParts& s : slots) {
    if (!s.verity) s.verity = Take(ver, nullptr);
    if (!s.signature) s.signature = Take(sig, nullptr);
  }
  return slots;
}

bool SlotCheck::ok() const {
  return std::none_of(findings.begin(), findings.end(),
                      [](const Finding& f) { return f.outcome == Outcome::kFail; });
}

Status SlotCheck::ToStatus() const {
  for (const Finding& f : findings) {
    if (f.outcome == Outcome::kFail)
      return Errorf(f.code, "slot {}: {}: {}", name, f.check, f.detail);
  }
  return Ok();
}

SlotCheck CheckSlot(const File& disk, uint32_t sector_size, const SlotParts& parts,
                    std::string name, const CheckOptions& options) {
  SlotCheck out;
  out.name = std::move(name);
  Run run{disk, sector_size, parts, options, out};
  std::optional<verity::VerityParams> params = run.Sizes();
  Bytes signed_root = run.Signature();
  Bytes expected;
  if (!options.expected_root.empty()) {
    auto e = HexDecode(options.expected_root);
    if (!e.ok()) {
      run.Add(kCheckExpected, Outcome::kFail, "not hex: " + options.expected_root,
              ErrorCode::kInvalidArgument);
      return out;
    }
    expected = std::move(e).value();
  } else {
    expected = signed_root;
  }
  if (params && options.verify_tree) run.Tree(*params, expected);
  run.Roots();
  return out;
}

}  // namespace hull::slot
