// systemd-boot boot counting (Boot Loader Specification, "Boot counting";
// systemd PR #9437, REFERENCE.md R42): a boot entry file named
// "NAME+LEFT[-DONE].efi" has LEFT tries left and DONE tries used. systemd-boot
// renames it at each try (LEFT-1, DONE+1); systemd-bless-boot renames it to
// "NAME.efi" once boot-complete.target is reached.
//
// An entry is
//   good           no counter (blessed, or never counted),
//   indeterminate  a counter with LEFT > 0 (still on trial),
//   bad            a counter with LEFT == 0 (every try used, never blessed).
// systemd-boot sorts bad entries last and otherwise by version, newest first
// (strverscmp_improved of the uapi Version Format Specification), then the one
// with more tries left, then the one tried fewer times; the first entry of
// that order boots unless a default is configured.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hull::node {

enum class EntryState { kGood, kIndeterminate, kBad };
const char* EntryStateName(EntryState s);  // "good" | "indeterminate" | "bad"

struct EntryName {
  std::string stem;              // "hull_202611.24.0"
  std::optional<uint32_t> left;  // tries left (absent: no counter)
  std::optional<uint32_t> done;  // tries done (absent when not in the name)
  std::string suffix = ".efi";

  EntryState state() const;
  std::string ToString() const;  // the file name
};

// The cap on counters read and written here. systemd-boot counts DONE on to
// its integer's maximum (INT_MAX); here a counter above kMaxTries reads as
// kMaxTries and AfterTry stops DONE there, so the names differ only for an
// entry booted more than 1000 times. LEFT, which decides the state, is the
// same in both.
inline constexpr uint32_t kMaxTries = 1000;

// Parses a file name ending in `suffix` (compared case-insensitively, as FAT
// does). kInvalidArgument when the suffix is missing or the stem is empty. A
// "+LEFT" or "+LEFT-DONE" tail of digits, of any length, is a counter (values
// above kMaxTries read as kMaxTries: a huge count never makes an entry
// uncounted, i.e. good); any other "+..." tail stays part of the stem, as
// systemd-boot reads it (no counter).
Result<EntryName> ParseEntryName(std::string_view file_name, std::string_view suffix = ".efi");

// "<stem>+<tries>.efi": a fresh entry on trial.
std::string CountedName(std::string_view stem, uint32_t tries);

// The name systemd-boot gives an entry as it boots it (config_entry_bump_counters):
// a counted entry "+LEFT-DONE" becomes "+max(LEFT-1,0)-(DONE+1)" (an absent
// DONE is 0); an entry without a counter keeps its name.
EntryName AfterTry(const EntryName& entry);

// The stem of a Hull UKI: "hull_<version>".
std::string UkiStem(std::string_view version);
// The version in a Hull UKI stem, or "" when the stem is not "hull_<version>".
std::string VersionOfStem(std::string_view stem);

// strverscmp_improved(): < 0, 0, > 0 as a is older, equal, newer than b.
// systemd's algorithm (src/fundamental/string-util-fundamental.c, the uapi
// Version Format Specification): characters other than [A-Za-z0-9~^.-] are
// skipped; '~' sorts before everything, even the end; then a string that ends
// is older unless the other also ends; '-', '^' and '.' each make the string
// they prefix older; digit runs compare numerically (leading zeros ignored)
// and are newer than letter runs; letter runs compare with strcmp, longer newer.
int CompareVersions(std::string_view a, std::string_view b);

// Orders entries as systemd-boot does (see above); returns the indices into
// `names`, first = the entry that boots.
std::vector<size_t> BootOrder(const std::vector<EntryName>& names);

}  // namespace hull::node
