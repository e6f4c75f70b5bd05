// The node the agent acts on: where it reads the booted image and its
// configuration, keeps its state, finds its disk and ESP, learns the health
// verdict, and how it reboots (docs/agent.md "Simulated nodes").
//
// A real node is the root file system: /proc/cmdline, /usr/lib/os-release,
// /etc/hull, /var/lib/hull, /run/hull, the disk found through /sys/block,
// the ESP mounted, the gate's checks of dm-verity and systemd units, and
// `systemctl reboot`. A simulated node (tests/sim's fleet) is a directory
// holding the same paths, a disk image file DIR/disk.raw whose ESP is read
// through mtools, a verdict file DIR/health (written by whoever runs the
// node) instead of the gate's checks, and a reboot that writes
// DIR/run/reboot-requested and leaves the rest to the harness.
//
// Only main() switches to a simulated node, and only from the command line
// (--simulated-node DIR): no configuration file, repository or server reply
// reaches it. EnterSimulatedNode also refuses on a booted Hull node (a
// usrhash key on the real /proc/cmdline, whatever its value) and when
// /proc/cmdline cannot be read (it fails closed), so the unit files of an image can
// never be made to run against a directory instead of the node.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace hull::agent {

class Environment {
 public:
  // The node's path for an absolute path of a real node ("/var/lib/hull"):
  // itself on a real node, under the directory on a simulated one.
  std::string Path(std::string_view absolute) const { return root_ + std::string(absolute); }
  bool simulated() const { return !root_.empty(); }
  // The simulated node's directory ("" on a real node): the root the node's
  // paths are under.
  const std::string& root() const { return root_; }
  // The simulated node's disk image ("" on a real node).
  std::string disk() const { return simulated() ? root_ + "/disk.raw" : ""; }
  // The verdict a simulated node's harness gives the gate: "" healthy, else
  // the reason it fails. kNotFound when DIR/health is absent (the gate fails);
  // kInternal on a real node, whose verdict is the gate's checks.
  Result<std::string> HealthVerdict() const;
  // systemctl reboot --no-block; on a simulated node the request file.
  Status Reboot() const;
  // systemctl poweroff --no-block (after an unattended install); on a
  // simulated node the request file DIR/run/poweroff-requested.
  Status PowerOff() const;

 private:
  friend Status EnterSimulatedNode(const std::string& dir);
  std::string root_;
};

// The process's node (a real one unless main() entered a simulated one).
const Environment& Env();

// Switches this process to the simulated node in `dir` (absolute, an
// existing directory) and points $TMPDIR (the installer's downloads) at
// dir/var/tmp. kRefused on a booted Hull node or an unreadable
// /proc/cmdline; kInvalidArgument for a
// relative or missing dir. Called once, before anything reads the node.
Status EnterSimulatedNode(const std::string& dir);

}  // namespace hull::agent
