// hull inspect's description of a UKI names the machine of its PE header:
// a UKI made from Debian's aarch64 systemd-stub reads as aarch64, one made
// from the x86-64 stub as x86-64.
#include <gtest/gtest.h>

#include "base/file.h"
#include "inspect/esp.h"
#include "support/debian_boot_files.h"
#include "support/status_matchers.h"
#include "uki/uki.h"

namespace hull::inspect {
namespace {

Result<Bytes> UkiFrom(const char* stub, uint16_t machine) {
  uki::UkiInputs in;
  HULL_ASSIGN_OR_RETURN(in.stub, ReadFileBytes(stub));
  in.machine = machine;
  in.linux_image = Bytes(4096, 0x5a);
  in.initrds = {Bytes(512, 1)};
  std::string osrel = "IMAGE_VERSION=202611.25.0\n";
  in.os_release.assign(osrel.begin(), osrel.end());
  return uki::BuildUki(in);
}

TEST(DescribeUki, NamesTheMachine) {
  ASSERT_OK_AND_ASSIGN(Bytes arm, UkiFrom(test_support::kSystemdStubArm64, 0xAA64));
  ASSERT_OK_AND_ASSIGN(UkiInfo a, DescribeUki(arm));
  EXPECT_EQ(a.machine, "aarch64");
  EXPECT_EQ(a.version, "202611.25.0");
  ASSERT_OK_AND_ASSIGN(Bytes x86, UkiFrom(test_support::kSystemdStub, 0x8664));
  ASSERT_OK_AND_ASSIGN(UkiInfo x, DescribeUki(x86));
  EXPECT_EQ(x.machine, "x86-64");
}

}  // namespace
}  // namespace hull::inspect
