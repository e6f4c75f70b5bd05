// usr slots: slot::PairSlots and slot::CheckSlot (the one slot verifier)
// rendered into the report, each finding a check "slot <label>: <check>".
#include "inspect/slots.h"

#include <optional>

#include "crypto/key.h"
#include "inspect/checks.h"
#include "slot/check.h"
#include "slot/state.h"

namespace hull::inspect {
namespace {

CheckState StateOf(slot::Outcome o) {
  switch (o) {
    case slot::Outcome::kPass:
      return CheckState::kPass;
    case slot::Outcome::kFail:
      return CheckState::kFail;
    case slot::Outcome::kSkip:
      return CheckState::kSkip;
  }
  return CheckState::kFail;
}

}  // namespace

void InspectSlots(const File& disk, const gpt::Table& table, Report& report,
                  const Options& options) {
  // Loaded once for all slots; a certificate that does not load fails each
  // slot's signature check instead of being skipped.
  std::optional<Result<crypto::Certificate>> cert;
  if (!options.verity_cert.empty()) cert = crypto::Certificate::Load(options.verity_cert);
  for (const slot::SlotParts& parts : slot::PairSlots(table)) {
    SlotInfo info;
    info.label = parts.usr.name.empty() ? fmt::format("#{}", parts.usr.number) : parts.usr.name;
    info.usr = parts.usr.number;
    info.verity = parts.verity ? parts.verity->number : 0;
    info.signature = parts.signature ? parts.signature->number : 0;
    info.empty = slot::VersionOfUsrLabel(parts.usr.name).empty();
    if (info.empty) {
      report.slots.push_back(std::move(info));
      continue;
    }
    slot::CheckOptions o;
    o.verify_tree = options.verify_trees;
    if (cert && cert->ok()) o.cert = &cert->value();
    slot::SlotCheck c = slot::CheckSlot(disk, table.sector_size, parts, info.label, o);
    info.root_hash = c.root_hash;
    info.signed_root_hash = c.signed_root_hash;
    info.certificate_fingerprint = c.certificate_fingerprint;
    info.data_blocks = c.data_blocks;
    for (const slot::Finding& f : c.findings) {
      std::string name = fmt::format("slot {}: {}", info.label, f.check);
      bool unsigned_check = f.check == std::string_view(slot::kCheckSignature) &&
                            f.outcome == slot::Outcome::kSkip && parts.signature;
      if (unsigned_check && cert && !cert->ok()) {
        Add(report, name, CheckState::kFail, cert->error().ToString());
      } else if (unsigned_check) {
        Add(report, name, CheckState::kSkip, "not verified (pass --verity-cert)");
      } else {
        Add(report, name, StateOf(f.outcome), f.detail);
      }
    }
    report.slots.push_back(std::move(info));
  }
}

}  // namespace hull::inspect
