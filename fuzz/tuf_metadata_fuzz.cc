// Arbitrary bytes as TUF metadata of every role: parsing must fail cleanly
// or produce metadata that serializes again; a parsed root is verified
// against itself (PEM and hex keys, distinct-key threshold counting).
#include "tuf/canonical_json.h"
#include "tuf/metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hull::tuf;
  hull::ByteSpan bytes(data, size);
  if (auto env = ParseEnvelope(bytes, Role::kRoot); env.ok()) {
    if (auto r = ParseRoot(env->signed_json); r.ok()) {
      (void)CanonicalJson(RootToJson(*r));
      // Keys of every type (hex, PEM) and the threshold count over them.
      (void)VerifyRole(*env, *r, Role::kRoot);
    }
    (void)CanonicalJson(env->signed_json);
  }
  if (auto env = ParseEnvelope(bytes, Role::kTimestamp); env.ok()) {
    if (auto t = ParseTimestamp(env->signed_json); t.ok()) (void)TimestampToJson(*t);
  }
  if (auto env = ParseEnvelope(bytes, Role::kSnapshot); env.ok()) {
    if (auto s = ParseSnapshot(env->signed_json); s.ok()) (void)SnapshotToJson(*s);
  }
  if (auto env = ParseEnvelope(bytes, Role::kTargets); env.ok()) {
    if (auto t = ParseTargets(env->signed_json); t.ok()) (void)TargetsToJson(*t);
  }
  return 0;
}
