// The one rule of what an empty slot is (slot/state.h VersionOfUsrLabel),
// used by the slot library and `hull inspect`. Labels from DESIGN.md "Disk
// layout": "usr_<v>" for a slot holding version v, "_empty" for an unused one.
#include <gtest/gtest.h>

#include "slot/state.h"

namespace hull::slot {
namespace {

TEST(SlotLabel, VersionOrEmpty) {
  struct Row {
    const char* label;
    const char* version;  // "" = an empty slot
  };
  const Row rows[] = {
      {"usr_202611.24.0", "202611.24.0"},
      {"usr_1.2.3", "1.2.3"},
      {"_empty", ""},
      {"", ""},
      {"usr_", ""},
      {"usr", ""},
      {"root", ""},
      // not "usr_<v>": holds no release, whatever it ends with
      {"x_empty", ""},
      {"USR_1.2.3", ""},
      // "usr_<v>" names a version even when v ends in "_empty"
      {"usr_1_empty", "1_empty"},
  };
  for (const Row& r : rows) EXPECT_EQ(VersionOfUsrLabel(r.label), r.version) << r.label;
}

TEST(SlotLabel, WhatTheInstallerWritesReadsBack) {
  EXPECT_EQ(VersionOfUsrLabel(UsrLabel("202612.1.0")), "202612.1.0");
  EXPECT_EQ(VersionOfUsrLabel(kEmptyLabel), "");
}

}  // namespace
}  // namespace hull::slot
