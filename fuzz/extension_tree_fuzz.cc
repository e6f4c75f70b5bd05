// Fuzzes check 6 of a system extension image (slot::CheckExtensionTree):
// the verity superblock and the tree's fit in the root and root-verity
// partitions. extension_fuzz cannot reach it (it comes after the signature).
// Input: the root and root-verity partition sizes (8 bytes each, little
// endian), then the superblock. Any input gives a value or an error, and an
// accepted tree fits both partitions.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "base/bytes.h"
#include "slot/extension.h"
#include "verity/tree.h"

namespace {

uint64_t Le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hull;
  if (size < 16) return 0;
  const uint64_t data_bytes = Le64(data), verity_bytes = Le64(data + 8);
  auto p =
      slot::CheckExtensionTree("fuzz", ByteSpan(data + 16, size - 16), data_bytes, verity_bytes);
  if (!p.ok()) return 0;
  auto g = verity::ComputeGeometry(*p);
  if (p->data_blocks == 0 || p->data_block_size == 0 || !g.ok() ||
      g->hash_end_bytes() > verity_bytes || p->data_blocks > data_bytes / p->data_block_size)
    std::abort();
  return 0;
}
