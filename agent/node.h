// What the agent learns about the node it runs on: the booted image (root
// hash from the kernel command line, version from os-release), the disk
// that holds its usr slot (the block device whose GPT has the partition the
// DPS derives from that root hash), and the ESP's mount point (mounted by
// the agent under /run/hull/esp when nothing has it mounted).
#pragma once

#include <string>

#include "base/result.h"
#include "slot/state.h"

namespace hull::agent {

struct Node {
  std::string usrhash;     // booted root hash (lowercase hex, node/usrhash.h)
  std::string version;     // IMAGE_VERSION
  std::string flavor;      // VARIANT_ID
  std::string arch;        // Debian architecture name (amd64, arm64)
  std::string machine_id;  // /etc/machine-id ("" when absent or unset: ParseMachineId)
  std::string disk;        // /dev/vda
  std::string esp_device;  // /dev/vda1
};

// kNotFound naming what is missing (no usrhash= on the command line: not a
// Hull node; no disk with that usr partition; no ESP).
Result<Node> ReadNode();

// A live boot from the install medium (docs/iso.md), from an optical drive
// or a USB stick: hull-init's marker node::kLiveBootMarker exists (under the
// simulated node's root, if any). There is no node disk to update and no
// boot entry to count.
bool LiveBoot();

// The ESP's mount point, mounting it read-write at /run/hull/esp when it is
// not mounted.
Result<std::string> MountEsp(const Node& node);

// The node's disk (its ESP mounted) and what it holds.
struct NodeDisk {
  slot::OpenedDisk io;
  slot::DiskState state;
};
Result<NodeDisk> OpenNodeDisk(const Node& node, bool writable);

}  // namespace hull::agent
