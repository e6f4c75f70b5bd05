// Delegated targets roles (TUF specification 5.6.7, "preorder depth-first
// search"): the client half. Parsing and path matching are in metadata.cc.
#include <algorithm>
#include <cctype>
#include <set>

#include "base/file.h"
#include "tuf/client.h"

namespace hull::tuf {
namespace {

// A role name as a file and URL name: everything but RFC 3986's unreserved
// characters percent-encoded, so "../x" or "a/b" never becomes a path (as
// python-tuf's quote(name, "")).
std::string QuoteRole(const std::string& name) {
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += char(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

Result<const Targets*> Client::LoadDelegated(const DelegatedRole& role, const Delegations& by) {
  // Loaded already in this run, through another delegator perhaps: it must
  // still meet this delegator's keys and threshold (a role does not inherit
  // authority from an earlier search path).
  if (auto it = delegated_.find(role.name); it != delegated_.end()) {
    HULL_TRY(VerifyThreshold(it->second.first, by.keys, role.keys, role.name));
    return &it->second.second;
  }
  std::string quoted = QuoteRole(role.name);
  std::string file = quoted + ".json";
  auto meta = snapshot_->meta.find(role.name + ".json");
  if (meta == snapshot_->meta.end()) {
    return Errorf(ErrorCode::kCorrupt, "snapshot does not name delegated role {}", role.name);
  }
  Envelope env;
  auto trusted = [&](ByteSpan bytes) -> Result<Targets> {
    HULL_ASSIGN_OR_RETURN(env, ParseEnvelope(bytes, Role::kTargets));
    HULL_TRY(VerifyThreshold(env, by.keys, role.keys, role.name));
    HULL_ASSIGN_OR_RETURN(Targets t, ParseTargets(env.signed_json));
    if (t.version != meta->second.version) {
      return Errorf(ErrorCode::kVerifyFailed,
                    "version {} is not the version {} the snapshot names (mix-and-match)",
                    t.version, meta->second.version);
    }
    return t;
  };
  // The copy on disk, when it is what the snapshot names and its delegator's
  // keys (today's, not those it was fetched under) still sign it.
  if (auto local = LoadState(file); local.ok() && IsCurrent(*local, meta->second)) {
    if (auto t = trusted(*local); t.ok()) {
      HULL_TRY(CheckExpiry(*t, Role::kTargets).Context(role.name));
      return &(delegated_[role.name] = {std::move(env), std::move(*t)}).second;
    }
  }
  std::string name =
      root_.consistent_snapshot ? fmt::format("{}.{}", meta->second.version, file) : file;
  auto fetched = fetcher_->Fetch(name, meta->second.length.value_or(limits_.targets_bytes));
  if (!fetched.ok()) {
    ErrorCode c = fetched.error().code();
    if (c == ErrorCode::kNotFound || c == ErrorCode::kRefused) {
      return Errorf(ErrorCode::kUnavailable, "{}: {}", role.name, fetched.error().ToString());
    }
    return std::move(fetched).error().Wrap(role.name);
  }
  HULL_TRY(CheckHashes(*fetched, meta->second.length, meta->second.hashes, name));
  HULL_ASSIGN_OR_RETURN(Targets t, trusted(*fetched).Context(role.name));
  HULL_TRY(CheckExpiry(t, Role::kTargets).Context(role.name));
  HULL_TRY(Persist(file, *fetched));
  return &(delegated_[role.name] = {std::move(env), std::move(t)}).second;
}

Result<const TargetFile*> Client::LookupTarget(const std::string& name) {
  if (!targets_) return Error(ErrorCode::kInvalidArgument, "Refresh() first");
  struct Visit {
    const DelegatedRole* role;  // null: the top-level targets role
    const Delegations* by;
  };
  std::vector<Visit> stack{{nullptr, nullptr}};
  std::set<std::string> visited;
  while (!stack.empty() && visited.size() < kMaxDelegationVisits) {
    Visit v = stack.back();
    stack.pop_back();
    std::string role_name = v.role ? v.role->name : "targets";
    if (!visited.insert(role_name).second) continue;
    const Targets* t = &*targets_;
    if (v.role) {
      HULL_ASSIGN_OR_RETURN(t, LoadDelegated(*v.role, *v.by));
    }
    if (auto it = t->targets.find(name); it != t->targets.end()) return &it->second;
    if (!t->delegations) continue;
    std::vector<Visit> children;
    for (const DelegatedRole& d : t->delegations->roles) {
      if (!d.Covers(name)) continue;
      children.push_back({&d, &*t->delegations});
      if (d.terminating) {  // nothing else is searched: not siblings, not what was queued
        stack.clear();
        break;
      }
    }
    stack.insert(stack.end(), children.rbegin(), children.rend());
  }
  // Roles left unvisited: the cap, not the graph, ended the search.
  size_t left = std::count_if(stack.begin(), stack.end(),
                              [&](const Visit& v) { return !visited.count(v.role->name); });
  if (left > 0) {
    return Errorf(ErrorCode::kRefused,
                  "target '{}' not found in the first {} roles searched: the delegation search "
                  "stops there ({} more to visit)",
                  name, kMaxDelegationVisits, left);
  }
  return Errorf(ErrorCode::kNotFound, "no target named '{}'", name);
}

}  // namespace hull::tuf
