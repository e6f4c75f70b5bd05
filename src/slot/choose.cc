#include "slot/choose.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/bytes.h"
#include "crypto/digest.h"
#include "node/boot_count.h"

namespace hull::slot {
namespace {

bool Matches(const SlotRelease& r, const ApplyFilters& f) {
  return (f.flavor.empty() || r.flavor == f.flavor) && (f.arch.empty() || r.arch == f.arch) &&
         (f.channel.empty() || r.channel == f.channel);
}

// The newest entry version, "" when there is none.
std::string NewestEntry(const std::vector<std::string>& versions) {
  std::string newest;
  for (const auto& v : versions)
    if (newest.empty() || node::CompareVersions(v, newest) > 0) newest = v;
  return newest;
}

// Why `r` is not taken although newer than the active version; "" = taken.
std::string HeldBack(const SlotRelease& r, const ApplyFilters& f, const std::string& entry) {
  if (!entry.empty() && node::CompareVersions(r.version, entry) <= 0)
    return fmt::format("{}: not newer than the installed entry {}", r.version, entry);
  if (r.rollout_percent < 100) {
    if (f.machine_id.empty())
      return fmt::format("{}: staged rollout {}%, this node has no machine id", r.version,
                         r.rollout_percent);
    uint32_t b = RolloutBucket(f.machine_id, r.version);
    if (b >= r.rollout_percent)
      return fmt::format("{}: staged rollout {}%, this node's bucket is {}", r.version,
                         r.rollout_percent, b);
  }
  return "";
}

bool IsBad(const std::string& version, const ApplyFilters& f) {
  return std::any_of(f.skip_versions.begin(), f.skip_versions.end(),
                     [&](const std::string& v) { return node::CompareVersions(v, version) == 0; });
}

const Refusal* RefusalOf(const SlotRelease& r, const ApplyFilters& f) {
  for (const Refusal& x : f.refused)
    if (node::CompareVersions(x.version, r.version) == 0 && x.root_hash == r.root_hash) return &x;
  return nullptr;
}

}  // namespace

InstalledFacts Installed(const DiskState& st, const std::string& active_usrhash) {
  InstalledFacts f;
  f.active_root_hash = active_usrhash;
  if (f.active_root_hash.empty() && st.default_entry())
    f.active_root_hash = st.default_entry()->usrhash;
  for (const Uki& u : st.ukis) {
    std::string v = node::VersionOfStem(u.entry.stem);
    if (v.empty()) continue;
    f.entry_versions.push_back(v);
    if (f.active_version.empty() && u.usrhash == f.active_root_hash) f.active_version = v;
  }
  if (int active = st.SlotOfRootHash(f.active_root_hash); f.active_version.empty() && active >= 0)
    f.active_version = st.slots[size_t(active)].version;
  return f;
}

uint32_t RolloutBucket(const std::string& machine_id, const std::string& version) {
  std::string in = std::string("hull-rollout") + '\0' + version + '\0' + machine_id;
  Bytes d = crypto::Sha256(ByteSpan(reinterpret_cast<const uint8_t*>(in.data()), in.size()));
  return uint32_t(LoadBe64(d.data()) % 100);
}

Choice ChooseRelease(const std::vector<SlotRelease>& releases, const ApplyFilters& filters,
                     const InstalledFacts& installed) {
  std::vector<const SlotRelease*> matching;
  for (const SlotRelease& r : releases)
    if (Matches(r, filters)) matching.push_back(&r);
  std::stable_sort(matching.begin(), matching.end(),
                   [](const SlotRelease* a, const SlotRelease* b) {
                     return node::CompareVersions(a->version, b->version) > 0;
                   });
  Choice c;
  if (matching.empty()) return c;
  const std::string& active = installed.active_version;
  if (!active.empty() && node::CompareVersions(matching.front()->version, active) < 0) {
    c.kind = ChoiceKind::kAheadOfChannel;
    c.newest = matching.front()->version;
    return c;
  }
  const std::string entry = NewestEntry(installed.entry_versions);
  c.kind = ChoiceKind::kUpToDate;
  for (const SlotRelease* r : matching) {
    if (IsBad(r->version, filters)) {
      c.held_back.push_back(r->version + ": recorded as bad on this node (skipped)");
      continue;
    }
    if (const Refusal* x = RefusalOf(*r, filters)) {
      c.held_back.push_back(r->version + ": refused on this node: " + x->reason);
      continue;
    }
    if ((!active.empty() && node::CompareVersions(r->version, active) <= 0) ||
        (!r->root_hash.empty() && r->root_hash == installed.active_root_hash)) {
      c.newest = r->version;
      return c;
    }
    if (r->withdrawn) {
      c.held_back.push_back(r->version + ": " + std::string(kWithdrawnReason));
      continue;
    }
    std::string why = HeldBack(*r, filters, entry);
    if (why.empty()) {
      c.kind = ChoiceKind::kInstall;
      c.release = r;
      return c;
    }
    c.held_back.push_back(std::move(why));
  }
  return c;
}

}  // namespace hull::slot
