#include "agent/dm_status.h"

#include <gtest/gtest.h>
#include <linux/dm-ioctl.h>

#include <cstring>

#include "support/status_matchers.h"

namespace hull::agent {
namespace {

// An answer laid out as include/uapi/linux/dm-ioctl.h says the kernel writes
// it: struct dm_ioctl, then at data_start one dm_target_spec and its string.
Bytes Answer(const std::string& type, const std::string& params, uint32_t flags = 0,
             uint32_t count = 1) {
  Bytes b(16384, 0);
  dm_ioctl h{};
  h.version[0] = 4;
  h.data_start = sizeof(dm_ioctl);
  h.data_size = uint32_t(sizeof(dm_ioctl) + sizeof(dm_target_spec) + params.size() + 1);
  h.target_count = count;
  h.flags = flags;
  std::memcpy(b.data(), &h, sizeof h);
  dm_target_spec t{};
  t.length = 716368;
  std::strncpy(t.target_type, type.c_str(), sizeof t.target_type - 1);
  std::memcpy(b.data() + sizeof h, &t, sizeof t);
  std::memcpy(b.data() + sizeof h + sizeof t, params.c_str(), params.size() + 1);
  return b;
}

TEST(DmAnswer, FirstTargetTypeAndParams) {
  auto t = ParseDmTargetAnswer(Answer("verity", "1 254:2 254:3 4096 4096 88863 1 sha256 ab cd"));
  ASSERT_OK(t);
  EXPECT_EQ(t->type, "verity");
  EXPECT_EQ(t->params, "1 254:2 254:3 4096 4096 88863 1 sha256 ab cd");
  EXPECT_EQ(ParseDmTargetAnswer(Answer("verity", "V"))->params, "V");
}

TEST(DmAnswer, Refusals) {
  EXPECT_ERROR(ParseDmTargetAnswer(Answer("verity", "x", DM_BUFFER_FULL_FLAG)),
               ErrorCode::kUnavailable);
  EXPECT_ERROR(ParseDmTargetAnswer(Answer("verity", "x", 0, 0)), ErrorCode::kNotFound);
  Bytes b = Answer("verity", "x");
  b.resize(100);
  EXPECT_ERROR(ParseDmTargetAnswer(b), ErrorCode::kCorrupt);
  Bytes c = Answer("verity", "x");
  uint32_t huge = 1u << 30;
  std::memcpy(c.data() + 12, &huge, 4);  // data_size beyond the buffer
  EXPECT_ERROR(ParseDmTargetAnswer(c), ErrorCode::kCorrupt);
}

}  // namespace
}  // namespace hull::agent
