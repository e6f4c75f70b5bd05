#include "agent/install_etc.h"

#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/fd.h"
#include "base/file.h"
#include "slot/dm_device.h"

namespace hull::agent {
namespace {

constexpr const char* kSelinuxXattr = "security.selinux";

// The label of `path`, "" when it has none (a file system mounted without
// SELinux, or a kernel without it).
std::string Label(const std::string& path) {
  char buf[256];
  ssize_t n = lgetxattr(path.c_str(), kSelinuxXattr, buf, sizeof(buf));
  return n > 0 ? std::string(buf, size_t(n)) : std::string();
}

Status SetLabel(const std::string& path, const std::string& label) {
  if (label.empty()) return Ok();
  if (lsetxattr(path.c_str(), kSelinuxXattr, label.data(), label.size(), 0) != 0)
    return Errorf(ErrorCode::kIo, "labelling {}: {}", path, std::strerror(errno));
  return Ok();
}

// Creates the directories of `rel` (a path under the upper /etc) that are
// missing, each labelled `label`.
Status MakeParents(const std::string& upper, const std::string& rel, const std::string& label) {
  for (size_t slash = rel.find('/', 1); slash != std::string::npos;
       slash = rel.find('/', slash + 1)) {
    const std::string dir = upper + rel.substr(0, slash);
    if (mkdir(dir.c_str(), 0755) == 0) {
      HULL_TRY(SetLabel(dir, label));
    } else if (errno != EEXIST) {
      return Errorf(ErrorCode::kIo, "mkdir {}: {}", dir, std::strerror(errno));
    }
  }
  return Ok();
}

Status WriteAll(const std::string& mnt, const std::vector<SeedFile>& files) {
  const std::string upper = mnt + kEtcUpper;
  struct stat st {};
  if (stat(upper.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Errorf(ErrorCode::kCorrupt, "the installed root has no {} (not a Hull root?)",
                  kEtcUpper);
  const std::string label = Label(upper);
  for (const SeedFile& f : files) {
    if (!f.path.starts_with("/etc/"))
      return Errorf(ErrorCode::kInternal, "{} is not under /etc", f.path);
    const std::string rel = f.path.substr(4);  // "/hull/update.json"
    HULL_TRY(MakeParents(upper, rel, label));
    HULL_TRY(WriteFileAtomic(upper + rel, f.text, f.mode));
    HULL_TRY(SetLabel(upper + rel, label));
  }
  return Ok();  // the unmount writes them out
}

}  // namespace

Status WriteEtcFiles(int fd, const std::string& target, uint64_t offset, uint64_t size,
                     const std::vector<SeedFile>& files, const std::string& run_dir) {
  if (files.empty()) return Ok();
  HULL_ASSIGN_OR_RETURN(slot::Loop loop, slot::AttachLoop(fd, target, offset, size, true));
  Fd hold(loop.fd);
  std::string tmpl = run_dir + "/install-root.XXXXXX";
  if (!mkdtemp(tmpl.data()))
    return Errorf(ErrorCode::kIo, "mkdtemp {}: {}", tmpl, std::strerror(errno));
  const std::string mnt = tmpl;
  if (mount(loop.path.c_str(), mnt.c_str(), "ext4", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) !=
      0) {
    const int err = errno;
    rmdir(mnt.c_str());
    return Errorf(ErrorCode::kIo, "mounting the installed root ({} on {}): {}", loop.path, mnt,
                  std::strerror(err));
  }
  Status written = WriteAll(mnt, files);
  if (umount(mnt.c_str()) != 0 && written.ok())
    written = Errorf(ErrorCode::kIo, "unmounting {}: {}", mnt, std::strerror(errno));
  rmdir(mnt.c_str());
  return written;
}

}  // namespace hull::agent
