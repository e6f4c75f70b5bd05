// What `hull inspect` finds in a disk image: partitions, A/B usr slots with
// their dm-verity trees and signatures, UKIs on the ESP, and a verdict made
// of named checks.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace hull::inspect {

// kInfo: a fact shown, neither pass nor fail (`hull boot`'s judge, src/vm,
// reports its checks in these states too).
enum class CheckState { kPass, kFail, kSkip, kInfo };
// "pass", "FAIL", "skip", "info": as the reports of `hull inspect` and
// `hull boot` print them.
const char* CheckStateName(CheckState s);

struct Check {
  std::string name;
  CheckState state = CheckState::kPass;
  std::string detail;
};

struct PartitionInfo {
  uint32_t number = 0;
  std::string type;  // systemd-repart name or the GUID when unknown
  std::string type_guid;
  std::string label;
  std::string uuid;
  uint64_t offset = 0;  // bytes
  uint64_t size = 0;    // bytes
  uint64_t attributes = 0;
};

struct SlotInfo {
  std::string label;                            // of the usr partition
  uint32_t usr = 0, verity = 0, signature = 0;  // partition numbers (0: absent)
  bool empty = false;                           // holds no release (slot::VersionOfUsrLabel)
  std::string root_hash;                        // recomputed from the tree
  std::string signed_root_hash;                 // from the signature partition
  std::string certificate_fingerprint;
  uint64_t data_blocks = 0;
};

struct UkiInfo {
  std::string path;  // on the ESP
  uint64_t size = 0;
  std::string version;  // IMAGE_VERSION or VERSION_ID of .osrel
  std::string pretty_name;
  std::string cmdline;
  std::string usrhash;        // node::ParseUsrHash's lowercase form; "" when absent or bad
  std::string usrhash_error;  // why a usrhash= present is not a valid one
  std::string uname;
  std::string machine;        // pe::MachineName of the COFF header: "x86-64", "aarch64"
  uint16_t coff_machine = 0;  // the COFF header's Machine (node::ArchOfCoffMachine)
  std::string signer;         // subject of the embedded signing certificate
  int signatures = 0;
  int stub_version = 0;
  std::string pcr11;  // after the stub's measurements
  std::vector<std::pair<std::string, std::string>> pcr11_phases;
};

struct Report {
  std::string image;
  uint32_t sector_size = 0;
  uint64_t disk_bytes = 0;
  std::string disk_guid;
  std::vector<PartitionInfo> partitions;
  std::vector<SlotInfo> slots;
  std::vector<UkiInfo> ukis;
  std::vector<Check> checks;
  bool good() const;
};

nlohmann::json ToJson(const Report& report);
std::string ToText(const Report& report);

}  // namespace hull::inspect
