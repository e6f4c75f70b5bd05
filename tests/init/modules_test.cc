#include "init/modules.h"

#include <gtest/gtest.h>

#include "support/status_matchers.h"

namespace hull::init {
namespace {

// Lines as in Debian's 6.1.0-56-cloud-amd64 modules.dep (dm-verity's line is
// verbatim), plus a compressed path and a cycle.
const char* kDep =
    "kernel/drivers/md/dm-verity.ko: kernel/drivers/md/dm-bufio.ko kernel/drivers/md/dm-mod.ko "
    "kernel/lib/reed_solomon/reed_solomon.ko\n"
    "kernel/drivers/md/dm-bufio.ko:\n"
    "kernel/drivers/md/dm-mod.ko:\n"
    "kernel/lib/reed_solomon/reed_solomon.ko:\n"
    "kernel/fs/erofs/erofs.ko.xz: kernel/lib/libcrc32c.ko\n"
    "kernel/lib/libcrc32c.ko:\n"
    "kernel/a.ko: kernel/b.ko\n"
    "kernel/b.ko: kernel/a.ko\n"
    "kernel/c.ko: kernel/missing.ko\n";
const char* kBuiltin = "kernel/fs/ext4/ext4.ko\nkernel/drivers/char/tpm/tpm_crb.ko\n";

TEST(Modules, Names) {
  EXPECT_EQ(ModuleName("kernel/drivers/md/dm-verity.ko"), "dm_verity");
  EXPECT_EQ(ModuleName("kernel/fs/erofs/erofs.ko.xz"), "erofs");
  EXPECT_EQ(ModuleName("sha256-ssse3"), "sha256_ssse3");
}

TEST(Modules, LoadOrderDependenciesFirstOnce) {
  auto idx = ParseModules(kDep, kBuiltin);
  ASSERT_OK(idx);
  std::set<std::string> loaded;
  auto o = LoadOrder(*idx, "dm-verity", loaded);
  ASSERT_OK(o);
  EXPECT_EQ(*o, (std::vector<std::string>{
                    "kernel/drivers/md/dm-bufio.ko", "kernel/drivers/md/dm-mod.ko",
                    "kernel/lib/reed_solomon/reed_solomon.ko", "kernel/drivers/md/dm-verity.ko"}));
  o = LoadOrder(*idx, "dm_verity", loaded);
  ASSERT_OK(o);
  EXPECT_TRUE(o->empty());
  o = LoadOrder(*idx, "erofs", loaded);
  EXPECT_EQ(*o,
            (std::vector<std::string>{"kernel/lib/libcrc32c.ko", "kernel/fs/erofs/erofs.ko.xz"}));
}

TEST(Modules, BuiltinsAndPresence) {
  auto idx = ParseModules(kDep, kBuiltin);
  ASSERT_OK(idx);
  std::set<std::string> loaded;
  auto o = LoadOrder(*idx, "ext4", loaded);
  ASSERT_OK(o);
  EXPECT_TRUE(o->empty());
  EXPECT_EQ(Find(*idx, "tpm_crb"), Presence::kBuiltin);
  EXPECT_EQ(Find(*idx, "dm-mod"), Presence::kModule);
  EXPECT_EQ(Find(*idx, "nvme"), Presence::kAbsent);
}

TEST(Modules, Errors) {
  auto idx = ParseModules(kDep, kBuiltin);
  ASSERT_OK(idx);
  std::set<std::string> loaded;
  auto o = LoadOrder(*idx, "overlay", loaded);
  ASSERT_ERROR(o, ErrorCode::kNotFound);
  EXPECT_EQ(o.error().ToString(), "module overlay: not in modules.dep and not built in");
  o = LoadOrder(*idx, "c", loaded);
  ASSERT_ERROR(o, ErrorCode::kNotFound);
  EXPECT_EQ(o.error().ToString(), "module missing: not in modules.dep and not built in");
  o = LoadOrder(*idx, "a", loaded);
  ASSERT_ERROR(o, ErrorCode::kCorrupt);
  EXPECT_EQ(o.error().ToString(), "module a: dependency chain deeper than 32");
  auto bad = ParseModules("kernel/x.ko kernel/y.ko\n", "");
  ASSERT_ERROR(bad, ErrorCode::kCorrupt);
  EXPECT_EQ(bad.error().ToString(), "modules.dep line 1: no ':'");
}

}  // namespace
}  // namespace hull::init
