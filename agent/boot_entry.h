// The installed disk's UEFI boot entry (docs/iso.md "The boot entry"): a
// Boot#### load option (node/load_option.h) naming the ESP of a disk and
// its removable-media boot file, put first in BootOrder, written through
// efivarfs. Without it a firmware that tries the optical drive first would
// start the install medium again after the install.
//
// efivarfs (Documentation/filesystems/efivarfs.rst): a file per variable,
// its first 4 bytes the attributes; a variable is written by one write(2)
// of attributes and data; the firmware's standard variables are immutable
// files (chattr +i) until FS_IOC_SETFLAGS clears the flag; unlinking a file
// deletes the variable.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "gpt/gpt.h"
#include "node/load_option.h"

namespace hull::agent {

inline constexpr const char* kEfivarsDir = "/sys/firmware/efi/efivars";
inline constexpr const char* kBootEntryDescription = "Hull";

// The load option that boots partition `esp` of a disk with table `t`:
// HD(number, start, size, its GUID)/File(\EFI\BOOT\BOOTX64.EFI or
// BOOTAA64.EFI, this program's architecture).
node::LoadOption EspLoadOption(const gpt::Partition& esp);

// The ESP of `t` (by type), or kNotFound.
Result<gpt::Partition> FindEsp(const gpt::Table& t);

// Writes `option` as a Boot#### variable in the efivarfs directory
// `efivars` and puts it first in BootOrder; returns its number. A Boot####
// with the same bytes is reused, else the lowest free number is taken.
// Errors: kNotFound "no efivarfs at DIR (...)", kRefused "DIR is mounted
// read-only", kIo naming the variable and the call.
Result<uint16_t> AddBootEntry(const std::string& efivars, const node::LoadOption& option);

// Sets BootNext: the firmware's next boot, once, is Boot#### `number`.
Status SetBootNext(const std::string& efivars, uint16_t number);

// "Boot0004 (HD(1,...) \EFI\BOOT\BOOTX64.EFI)" for messages.
std::string DescribeBootEntry(uint16_t number, const node::LoadOption& option);

}  // namespace hull::agent
