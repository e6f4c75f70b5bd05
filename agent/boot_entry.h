// The installed disk's UEFI boot entry (docs/iso.md "The boot entry"): a
// Boot#### load option (node/load_option.h) naming the ESP of a disk and
// its removable-media boot file, put first in BootOrder, written through
// efivarfs. Without it a firmware that tries the optical drive first would
// start the install medium again after the install.
//
// efivarfs (Documentation/filesystems/efivarfs.rst, fs/efivarfs/file.c): a
// file per variable, its first 4 bytes the attributes; one write(2) of
// attributes and data is one SetVariable call, which replaces the value of
// an existing variable (or creates it) at once; unlinking a file deletes
// the variable. Only variables outside the kernel's list of well-known ones
// are immutable files (chattr +i); Boot####, BootOrder and BootNext are on
// it. So a variable is never deleted here, only written whole: at no moment
// is there no BootOrder, and a Boot#### is written before BootOrder names it.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "gpt/gpt.h"
#include "node/load_option.h"

namespace hull::agent {

using node::kEfivarsDir;
inline constexpr const char* kBootEntryDescription = "Hull";

// The load option that boots partition `esp` of a disk with table `t`:
// HD(number, start, size, its GUID)/File(\EFI\BOOT\BOOTX64.EFI or
// BOOTAA64.EFI, this program's architecture).
node::LoadOption EspLoadOption(const gpt::Partition& esp);

// The ESP of `t` (by type), or kNotFound.
Result<gpt::Partition> FindEsp(const gpt::Table& t);

// What AddBootEntry wrote.
struct BootEntry {
  uint16_t number = 0;
  std::string described;  // DescribeBootEntry
  // Why the BootOrder found was not kept as it was: "BootOrder: 7 bytes,
  // expected ..." when it was malformed (the new order holds ours first,
  // then the numbers read from it that name a Boot####); "" otherwise.
  std::string malformed_order;
};

// Writes `option` as a Boot#### variable in the efivarfs directory
// `efivars` (unless one with the same bytes is there: it is reused, else
// the lowest free number is taken), then puts it first in BootOrder. A
// malformed BootOrder (odd length, shorter than its attributes, too long)
// holds no valid order: it is replaced, never a reason to fail. Errors:
// kNotFound "no efivarfs at DIR (...)", kRefused "DIR is mounted
// read-only", kIo naming the variable and the call.
Result<BootEntry> AddBootEntry(const std::string& efivars, const node::LoadOption& option);

// AddBootEntry for the ESP of a disk with table `t` (kNotFound when it has
// none): the one rule the install and the unattended install's BootNext use.
Result<BootEntry> AddDiskBootEntry(const std::string& efivars, const gpt::Table& t);

// Sets BootNext: the firmware's next boot, once, is Boot#### `number`.
Status SetBootNext(const std::string& efivars, uint16_t number);

// "Boot0004 (HD(1,...) \EFI\BOOT\BOOTX64.EFI)" for messages.
std::string DescribeBootEntry(uint16_t number, const node::LoadOption& option);

}  // namespace hull::agent
