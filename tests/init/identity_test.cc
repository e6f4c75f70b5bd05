#include "init/identity.h"

#include <gtest/gtest.h>

#include "gpt/types.h"
#include "support/status_matchers.h"

namespace hull::init {
namespace {

gpt::Partition Part(uint32_t n, const char* type, const std::string& uuid) {
  gpt::Partition p;
  p.number = n;
  p.type = *gpt::ParseType(type);
  p.uuid = *Uuid::Parse(uuid);
  return p;
}

// The layout of docs/disk.md: ESP, usr A and its verity, usr B and its
// verity, ..., root; UUIDs as an image build derives them.
gpt::Table ImageTable() {
  gpt::Table t;
  t.disk_guid = *Uuid::Parse("5a5a5a5a-0000-4000-8000-000000000001");
  t.partitions = {Part(1, "esp", "11111111-1111-4111-8111-111111111111"),
                  Part(2, "usr-x86-64", "954172df-ee9a-aab2-d90a-0ab162ee6bc5"),
                  Part(3, "usr-x86-64-verity", "a6a77ede-951f-ad19-f0f9-4df0d7266a93"),
                  Part(4, "usr-x86-64", "33333333-3333-4333-8333-333333333333"),
                  Part(8, "root-x86-64", "22222222-2222-4222-8222-222222222222")};
  return t;
}

const Uuid kGuid = *Uuid::Parse("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0");

TEST(Identity, DerivedUuids) {
  // Python: sha256(b"hull-node-disk\0" + uuid.bytes + n.to_bytes(4, "little"))[:16],
  // with the version 4 and variant bits set.
  EXPECT_EQ(NodePartitionUuid(kGuid, 1).ToString(), "ff86140e-51ed-4a8b-a4b3-6543da9863dd");
  EXPECT_EQ(NodePartitionUuid(kGuid, 8).ToString(), "8aaf98b3-2e77-40c8-bc69-e8205fdd8598");
  Bytes ones(16, 0xff), zeros(16, 0);
  EXPECT_EQ(RandomUuid(ones).ToString(), "ffffffff-ffff-4fff-bfff-ffffffffffff");
  EXPECT_EQ(RandomUuid(zeros).ToString(), "00000000-0000-4000-8000-000000000000");
}

TEST(Identity, AnImageHasNoneUntilGivenOne) {
  gpt::Table image = ImageTable();
  EXPECT_FALSE(HasNodeIdentity(image, 8));
  gpt::Table t = WithNodeIdentity(image, 8, kGuid);
  EXPECT_TRUE(HasNodeIdentity(t, 8));
  EXPECT_EQ(t.disk_guid, kGuid);
  EXPECT_EQ(t.partitions[0].uuid.ToString(), "ff86140e-51ed-4a8b-a4b3-6543da9863dd");
  EXPECT_EQ(t.partitions[4].uuid.ToString(), "8aaf98b3-2e77-40c8-bc69-e8205fdd8598");
  // The usr slots keep the UUIDs of their root hashes.
  for (size_t i : {1, 2, 3}) EXPECT_EQ(t.partitions[i].uuid, image.partitions[i].uuid) << i;
}

TEST(Identity, ACopyOfAGivenDiskStillShowsIt) {
  // Each change breaks the mark: another disk GUID (the ESP's and root's
  // UUIDs no longer derive from it), an ESP or root UUID changed alone, and
  // a root partition number that is not the one the mark was made for.
  gpt::Table t = WithNodeIdentity(ImageTable(), 8, kGuid);
  gpt::Table other_guid = t;
  other_guid.disk_guid = *Uuid::Parse("0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f1");
  EXPECT_FALSE(HasNodeIdentity(other_guid, 8));
  gpt::Table esp = t;
  esp.partitions[0].uuid = *Uuid::Parse("44444444-4444-4444-8444-444444444444");
  EXPECT_FALSE(HasNodeIdentity(esp, 8));
  gpt::Table root = t;
  root.partitions[4].uuid = *Uuid::Parse("44444444-4444-4444-8444-444444444444");
  EXPECT_FALSE(HasNodeIdentity(root, 8));
  EXPECT_FALSE(HasNodeIdentity(t, 4));
  EXPECT_FALSE(HasNodeIdentity(t, 9));  // no such partition
}

}  // namespace
}  // namespace hull::init
