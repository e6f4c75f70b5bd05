#include "slot/dm_device.h"

#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "base/fd.h"

namespace hull::slot {
namespace {

std::string Errno() { return std::strerror(errno); }

Status DmIoctl(int fd, unsigned long request, Bytes& buf, const char* what) {
  if (ioctl(fd, request, buf.data()) != 0) {
    const ErrorCode code = errno == EBUSY || errno == EEXIST ? ErrorCode::kAlreadyExists
                           : errno == ENXIO                  ? ErrorCode::kNotFound
                                                             : ErrorCode::kIo;
    return Errorf(code, "device-mapper {}: {}", what, Errno());
  }
  return {};
}

Result<Fd> OpenControl() {
  Fd ctl(open("/dev/mapper/control", O_RDWR | O_CLOEXEC));
  if (ctl.get() < 0) return Errorf(ErrorCode::kIo, "open /dev/mapper/control: {}", Errno());
  return Fd(ctl.release());
}

// After DM_DEV_CREATE: the device's number, its table, the resume.
Result<node::DevNumber> LoadAndResume(int ctl, const Bytes& create, const std::string& name,
                                      uint64_t sectors, const std::string& target,
                                      const std::string& params) {
  HULL_ASSIGN_OR_RETURN(node::DevNumber dev, node::DmDevFromAnswer(create));
  HULL_ASSIGN_OR_RETURN(Bytes load,
                        node::DmTableLoad(name, DM_READONLY_FLAG, sectors, target, params));
  HULL_TRY(DmIoctl(ctl, DM_TABLE_LOAD, load, "DM_TABLE_LOAD"));
  HULL_ASSIGN_OR_RETURN(Bytes resume, node::DmHeader(name, "", 0));
  HULL_TRY(DmIoctl(ctl, DM_DEV_SUSPEND, resume, "DM_DEV_SUSPEND (resume)"));
  return dev;
}

}  // namespace

Result<node::DevNumber> DmCreate(const std::string& name, const std::string& uuid, uint64_t sectors,
                                 const std::string& target, const std::string& params) {
  HULL_ASSIGN_OR_RETURN(Fd ctl, OpenControl());
  HULL_ASSIGN_OR_RETURN(Bytes create, node::DmHeader(name, uuid, 0));
  HULL_TRY(DmIoctl(ctl.get(), DM_DEV_CREATE, create, "DM_DEV_CREATE"));
  auto dev = LoadAndResume(ctl.get(), create, name, sectors, target, params);
  // A device left without a live table would hold its name (and the next
  // create of it would fail) until the next boot.
  if (!dev.ok()) (void)DmRemove(name);
  return dev;
}

Status DmRemove(const std::string& name, bool deferred) {
  HULL_ASSIGN_OR_RETURN(Fd ctl, OpenControl());
  HULL_ASSIGN_OR_RETURN(Bytes remove, node::DmHeader(name, "", deferred ? DM_DEFERRED_REMOVE : 0));
  return DmIoctl(ctl.get(), DM_DEV_REMOVE, remove, "DM_DEV_REMOVE");
}

Status MakeDmNode(const std::string& name, node::DevNumber dev) {
  if (mkdir("/dev/mapper", 0755) != 0 && errno != EEXIST)
    return Errorf(ErrorCode::kIo, "mkdir /dev/mapper: {}", Errno());
  const std::string path = "/dev/mapper/" + name;
  unlink(path.c_str());
  if (mknod(path.c_str(), S_IFBLK | 0600, makedev(dev.major, dev.minor)) != 0)
    return Errorf(ErrorCode::kIo, "mknod {} {}:{}: {}", path, dev.major, dev.minor, Errno());
  return {};
}

Result<Loop> AttachLoop(const std::string& path, uint64_t offset, uint64_t size, bool writable) {
  const int mode = writable ? O_RDWR : O_RDONLY;
  Fd file(open(path.c_str(), mode | O_CLOEXEC));
  if (file.get() < 0) return Errorf(ErrorCode::kIo, "open {}: {}", path, Errno());
  return AttachLoop(file.get(), path, offset, size, writable);
}

Result<Loop> AttachLoop(int file, const std::string& path, uint64_t offset, uint64_t size,
                        bool writable) {
  const int mode = writable ? O_RDWR : O_RDONLY;
  Fd ctl(open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (ctl.get() < 0) return Errorf(ErrorCode::kIo, "open /dev/loop-control: {}", Errno());
  // Another program may take the free device between the two calls: retry.
  for (int attempt = 0; attempt < 8; ++attempt) {
    const int n = ioctl(ctl.get(), LOOP_CTL_GET_FREE);
    if (n < 0) return Errorf(ErrorCode::kIo, "LOOP_CTL_GET_FREE: {}", Errno());
    Loop out;
    out.path = fmt::format("/dev/loop{}", n);
    Fd loop(open(out.path.c_str(), mode | O_CLOEXEC));
    if (loop.get() < 0) return Errorf(ErrorCode::kIo, "open {}: {}", out.path, Errno());
    loop_config cfg{};
    cfg.fd = uint32_t(file);
    cfg.info.lo_offset = offset;
    cfg.info.lo_sizelimit = size;
    cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | (writable ? 0u : uint32_t(LO_FLAGS_READ_ONLY));
    if (ioctl(loop.get(), LOOP_CONFIGURE, &cfg) != 0) {
      if (errno == EBUSY) continue;
      return Errorf(ErrorCode::kIo, "LOOP_CONFIGURE {} over {}: {}", out.path, path, Errno());
    }
    struct stat st {};
    if (fstat(loop.get(), &st) != 0)
      return Errorf(ErrorCode::kIo, "stat {}: {}", out.path, Errno());
    out.dev = {major(st.st_rdev), minor(st.st_rdev)};
    out.fd = loop.release();
    return out;
  }
  return Errorf(ErrorCode::kUnavailable, "no free loop device for {}", path);
}

}  // namespace hull::slot
