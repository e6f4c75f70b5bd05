// Block devices the node sets up: device-mapper devices (the ioctl buffers
// are node/dm.h's) and loop devices over a range of a file. hull-init maps
// the booted /usr with DmCreate and a live boot's in-memory root with a
// writable loop device (docs/iso.md); hull-agent maps system extensions
// (docs/sysext.md) with both, read-only.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "node/dm.h"

namespace hull::slot {

// DM_DEV_CREATE + DM_TABLE_LOAD (read-only) + resume; returns the device
// number. kIo naming the ioctl that failed (kAlreadyExists for a name in use).
// A failure after the create removes the device again (DM_DEV_REMOVE).
Result<node::DevNumber> DmCreate(const std::string& name, const std::string& uuid, uint64_t sectors,
                                 const std::string& target, const std::string& params);

// DM_DEV_REMOVE. kNotFound when no device has that name.
// `deferred` (DM_DEFERRED_REMOVE): a device still open is removed by the
// kernel when its last user closes it, instead of EBUSY.
Status DmRemove(const std::string& name, bool deferred = false);

// /dev/mapper/<name> as a block node of `dev` (mknod, replacing what was
// there): for hull-init, which runs before any udev.
Status MakeDmNode(const std::string& name, node::DevNumber dev);

// A loop device over bytes [offset, offset+size) of `path` (size 0: to the
// end of the file), read-only unless `writable`, freed
// by the kernel when its last user closes it (LO_FLAGS_AUTOCLEAR): the
// returned descriptor keeps it until the caller has handed the device to
// device-mapper, which holds it from then on.
struct Loop {
  int fd = -1;  // owned: close() it
  node::DevNumber dev;
  std::string path;  // /dev/loopN
};
Result<Loop> AttachLoop(const std::string& path, uint64_t offset, uint64_t size,
                        bool writable = false);
// The same over the open descriptor `file` (the caller keeps it; the loop
// device takes its own reference to the open file): the bytes a caller
// verified through `file` are the bytes mapped, whatever `path` names by
// then. `path` only names the file in errors. `writable` needs `file` open
// for writing.
Result<Loop> AttachLoop(int file, const std::string& path, uint64_t offset, uint64_t size,
                        bool writable = false);

}  // namespace hull::slot
