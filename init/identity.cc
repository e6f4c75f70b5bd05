#include "init/identity.h"

#include <array>

#include "gpt/types.h"
#include "init/sha256.h"

namespace hull::init {
namespace {

bool Personal(const gpt::Partition& p, const Uuid& esp_type, uint32_t root_number) {
  return p.number == root_number || p.type == esp_type;
}

}  // namespace

Uuid RandomUuid(ByteSpan sixteen) {
  std::array<uint8_t, 16> b{};
  for (size_t i = 0; i < b.size() && i < sixteen.size(); ++i) b[i] = sixteen[i];
  b[6] = uint8_t((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = uint8_t((b[8] & 0x3f) | 0x80);  // variant 1 (RFC 9562)
  return Uuid::FromBytes(ByteSpan(b.data(), b.size()));
}

Uuid NodePartitionUuid(const Uuid& disk_guid, uint32_t number) {
  static constexpr char kLabel[] = "hull-node-disk";
  Bytes in(kLabel, kLabel + sizeof kLabel);  // with its NUL
  in.insert(in.end(), disk_guid.bytes().begin(), disk_guid.bytes().end());
  for (int i = 0; i < 4; ++i) in.push_back(uint8_t(number >> (8 * i)));
  Bytes h = Sha256(in);
  return RandomUuid(ByteSpan(h.data(), 16));
}

bool HasNodeIdentity(const gpt::Table& table, uint32_t root_number) {
  const Uuid esp_type = *gpt::ParseType("esp");
  bool root = false;
  for (const gpt::Partition& p : table.partitions) {
    if (!Personal(p, esp_type, root_number)) continue;
    if (p.uuid != NodePartitionUuid(table.disk_guid, p.number)) return false;
    root = root || p.number == root_number;
  }
  return root;
}

gpt::Table WithNodeIdentity(const gpt::Table& table, uint32_t root_number, const Uuid& disk_guid) {
  gpt::Table t = table;
  t.disk_guid = disk_guid;
  const Uuid esp_type = *gpt::ParseType("esp");
  for (gpt::Partition& p : t.partitions)
    if (Personal(p, esp_type, root_number)) p.uuid = NodePartitionUuid(disk_guid, p.number);
  return t;
}

}  // namespace hull::init
