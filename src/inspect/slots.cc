// usr slots: pairing of usr / usr-verity / usr-verity-sig partitions and the
// checks on each (dm-verity tree, signature partition, DPS UUIDs).
#include "inspect/slots.h"

#include <algorithm>

#include "base/hex.h"
#include "crypto/key.h"
#include "gpt/types.h"
#include "inspect/checks.h"
#include "verity/signature.h"
#include "verity/tree.h"

namespace hull::inspect {
namespace {

constexpr uint64_t kMaxSignaturePartition = 1 << 20;

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const PartitionInfo* ByNumber(const Report& r, uint32_t n) {
  for (const auto& p : r.partitions)
    if (p.number == n) return &p;
  return nullptr;
}

// Partners of `usr` among `candidates`: by label "<usr>_verity" etc., else
// the first not yet taken.
uint32_t Partner(const std::vector<const PartitionInfo*>& candidates, const std::string& label,
                 std::vector<uint32_t>& taken) {
  const PartitionInfo* pick = nullptr;
  for (const auto* c : candidates) {
    if (c->label == label && std::find(taken.begin(), taken.end(), c->number) == taken.end()) {
      pick = c;
    }
  }
  if (!pick) {
    for (const auto* c : candidates) {
      if (std::find(taken.begin(), taken.end(), c->number) == taken.end()) {
        pick = c;
        break;
      }
    }
  }
  if (!pick) return 0;
  taken.push_back(pick->number);
  return pick->number;
}

void CheckTree(const File& disk, Report& report, SlotInfo& slot, ByteSpan expected) {
  const PartitionInfo* usr = ByNumber(report, slot.usr);
  const PartitionInfo* ver = ByNumber(report, slot.verity);
  std::string name = "slot " + slot.label + ": verity tree";
  auto params = verity::ReadSuperblock(disk, ver->offset);
  if (!params.ok()) {
    Add(report, name, CheckState::kFail, params.error().ToString());
    return;
  }
  params->data_offset = usr->offset;
  slot.data_blocks = params->data_blocks;
  if (params->data_blocks * params->data_block_size > usr->size) {
    Add(report, name, CheckState::kFail, "data blocks run past the usr partition");
    return;
  }
  auto geometry = verity::ComputeGeometry(*params);
  if (!geometry.ok() || geometry->hash_end_bytes() > ver->offset + ver->size) {
    Add(report, name, CheckState::kFail, "hash tree runs past the verity partition");
    return;
  }
  Bytes fallback(crypto::DigestSize(params->algorithm), 0);
  auto v = verity::VerifyTree(disk, disk, *params, expected.empty() ? fallback : expected);
  if (!v.ok()) {
    Add(report, name, CheckState::kFail, v.error().ToString());
    return;
  }
  slot.root_hash = HexEncode(v->root_hash);
  if (!v->mismatches.empty()) {
    Add(report, name, CheckState::kFail, v->Describe());
  } else {
    Add(report, name, CheckState::kPass,
        fmt::format("{} data blocks verified, root hash {}", params->data_blocks, slot.root_hash));
  }
}

void CheckSignature(const File& disk, Report& report, SlotInfo& slot, const Options& o,
                    Bytes& signed_root) {
  const PartitionInfo* sig = ByNumber(report, slot.signature);
  std::string name = "slot " + slot.label + ": root hash signature";
  Bytes content(std::min<uint64_t>(sig->size, kMaxSignaturePartition));
  if (Status st = disk.ReadAt(sig->offset, content); !st.ok()) {
    Add(report, name, CheckState::kFail, st.error().ToString());
    return;
  }
  auto parsed = verity::DecodeSignaturePartition(content);
  if (!parsed.ok()) {
    Add(report, name, CheckState::kFail, parsed.error().ToString());
    return;
  }
  signed_root = parsed->root_hash;
  slot.signed_root_hash = HexEncode(parsed->root_hash);
  slot.certificate_fingerprint = parsed->certificate_fingerprint;
  auto cert = CertificateFor(report, name, o.verity_cert, "--verity-cert");
  if (!cert) return;
  Status st = verity::VerifyRootHashSignature(parsed->root_hash, parsed->signature, *cert);
  Add(report, name, st.ok() ? CheckState::kPass : CheckState::kFail,
      st.ok() ? "signed by " + cert->Subject() : st.error().ToString());
}

void CheckUuids(Report& report, const SlotInfo& slot) {
  if (slot.root_hash.size() != 64) return;
  Bytes root = *HexDecode(slot.root_hash);
  std::string want_usr = Uuid::FromBytes(ByteSpan(root).first(16)).ToString();
  std::string want_ver = Uuid::FromBytes(ByteSpan(root).subspan(16, 16)).ToString();
  bool ok = ByNumber(report, slot.usr)->uuid == want_usr &&
            ByNumber(report, slot.verity)->uuid == want_ver;
  Add(report, "slot " + slot.label + ": partition UUIDs from root hash",
      ok ? CheckState::kPass : CheckState::kFail,
      ok ? "usr and usr-verity UUIDs are the root hash halves (DPS)"
         : fmt::format("expected usr {} and verity {}", want_usr, want_ver));
}

}  // namespace

void InspectSlots(const File& disk, Report& report, const Options& options) {
  std::vector<const PartitionInfo*> usrs, verities, sigs;
  for (const auto& p : report.partitions) {
    auto* t = gpt::LookupTypeGuid(*Uuid::Parse(p.type_guid));
    if (!t) continue;
    if (t->role == gpt::Role::kUsr) usrs.push_back(&p);
    if (t->role == gpt::Role::kUsrVerity) verities.push_back(&p);
    if (t->role == gpt::Role::kUsrVeritySig) sigs.push_back(&p);
  }
  std::vector<uint32_t> taken;
  for (const auto* usr : usrs) {
    SlotInfo slot;
    slot.label = usr->label.empty() ? fmt::format("#{}", usr->number) : usr->label;
    slot.usr = usr->number;
    slot.empty = EndsWith(usr->label, "_empty");
    slot.verity = Partner(verities, usr->label + "_verity", taken);
    slot.signature = Partner(sigs, usr->label + "_verity_sig", taken);
    if (slot.empty) {
      report.slots.push_back(std::move(slot));
      continue;
    }
    Bytes signed_root;
    if (slot.signature) CheckSignature(disk, report, slot, options, signed_root);
    if (!slot.verity) {
      Add(report, "slot " + slot.label + ": verity tree", CheckState::kFail,
          "no usr-verity partition for this usr partition");
    } else if (options.verify_trees) {
      CheckTree(disk, report, slot, signed_root);
      if (!signed_root.empty() && !slot.root_hash.empty()) {
        bool same = HexEncode(signed_root) == slot.root_hash;
        Add(report, "slot " + slot.label + ": root hash matches signature partition",
            same ? CheckState::kPass : CheckState::kFail,
            same ? slot.root_hash
                 : fmt::format("tree {} but signature partition {}", slot.root_hash,
                               slot.signed_root_hash));
      }
      CheckUuids(report, slot);
    }
    report.slots.push_back(std::move(slot));
  }
}

}  // namespace hull::inspect
