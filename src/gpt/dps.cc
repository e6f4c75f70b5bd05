#include "gpt/dps.h"

namespace hull::gpt {

Result<VerityUuids> DpsVerityUuids(ByteSpan root_hash) {
  if (root_hash.size() < 32)
    return Errorf(ErrorCode::kInvalidArgument, "root hash of {} bytes (need at least 32)",
                  root_hash.size());
  return VerityUuids{Uuid::FromBytes(root_hash.first(16)), Uuid::FromBytes(root_hash.last(16))};
}

Bytes RootHashOfVerityUuids(const VerityUuids& uuids) {
  Bytes out(uuids.data.bytes().begin(), uuids.data.bytes().end());
  out.insert(out.end(), uuids.verity.bytes().begin(), uuids.verity.bytes().end());
  return out;
}

}  // namespace hull::gpt
