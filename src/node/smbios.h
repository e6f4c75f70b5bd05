// SMBIOS OEM strings (DMTF DSP0134 3.7, §7.12 "OEM Strings (Type 11)") and
// the one Hull reads: the validation request that `hull boot --validate`
// (src/vm) gives the test VM it starts (QEMU `-smbios type=11,value=...`) and
// hull-agent (agent/validate.cc) looks for. Firmware settings of a machine,
// not a disk anyone can attach, so only the VM's maker can ask for the
// validation run, which reboots and powers the machine off.
//
// The guest reads the whole structure table from /sys/firmware/dmi/tables/DMI
// (the kernel's DMI core; /sys/firmware/dmi/entries needs the dmi-sysfs
// module, which images need not carry).
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace hull::node {

inline constexpr const char* kSmbiosTablePath = "/sys/firmware/dmi/tables/DMI";
inline constexpr size_t kMaxSmbiosTableBytes = 1 << 20;

// The OEM string values of the validation request: two boots (facts, then a
// reboot to check persistence) or one.
inline constexpr const char* kValidateRebootOemString = "hull.validate=reboot";
inline constexpr const char* kValidateOnceOemString = "hull.validate=once";
// The virtio serial of the disk holding the validation's OCI probe image.
// Read only when the OEM string asks for validation: the serial alone asks
// for nothing.
inline constexpr const char* kValidateDiskSerial = "hull-validate";

// The strings of every OEM Strings structure (type 11) of an SMBIOS structure
// table, in table order. The walk follows §6.1.2-6.1.3: each structure is a
// formatted area of `Length` bytes (type, length, handle, ...) and a
// string-set of NUL-terminated strings ended by one more NUL (two NULs when
// it holds none); it stops at the End-of-Table structure (type 127) or the
// end of the bytes. Errors (kCorrupt), naming the structure's offset:
//   "SMBIOS table: N bytes, larger than M"
//   "SMBIOS structure at offset N: header runs past the end of the table"
//   "SMBIOS structure at offset N: length L, less than the 4-byte header"
//   "SMBIOS structure at offset N: formatted area of L bytes runs past the end"
//   "SMBIOS structure at offset N: string-set not terminated"
//   "SMBIOS OEM strings at offset N: length L, less than 5"
//   "SMBIOS OEM strings at offset N: count C but K strings"
Result<std::vector<std::string>> SmbiosOemStrings(ByteSpan table);

enum class ValidationRequest { kNone, kReboot, kOnce };

// The request among OEM strings: the first string equal to one of the two
// values above; kNone when none is.
ValidationRequest FindValidationRequest(const std::vector<std::string>& oem_strings);

}  // namespace hull::node
