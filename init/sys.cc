#include "init/sys.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/fd.h"
#include "gpt/gpt.h"
#include "init/grow.h"
#include "init/identity.h"
#include "init/tpm.h"
#include "slot/gpt_write.h"
#include "slot/io.h"

namespace hull::init {

namespace {

std::string Errno() { return std::strerror(errno); }

void WriteAll(const char* path, int flags, const std::string& text) {
  int fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return;
  ssize_t r = write(fd, text.data(), text.size());
  (void)r;
  close(fd);
}

void Emit(int prio, const std::string& msg) {
  WriteAll("/dev/kmsg", O_WRONLY, "<" + std::to_string(prio) + ">hull-init: " + msg + "\n");
  WriteAll("/dev/console", O_WRONLY, "hull-init: " + msg + "\n");
}

}  // namespace

void Log(const std::string& msg) { Emit(6, msg); }
void LogError(const std::string& msg) { Emit(3, msg); }

Status Mkdirs(const std::string& path, mode_t mode) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    std::string p = path.substr(0, i);
    if (mkdir(p.c_str(), mode) != 0 && errno != EEXIST)
      return Errorf(ErrorCode::kIo, "mkdir {}: {}", p, Errno());
  }
  return {};
}

Status Mount(const std::string& src, const std::string& target, const std::string& type,
             unsigned long flags, const std::string& data) {
  HULL_TRY(Mkdirs(target));
  if (mount(src.c_str(), target.c_str(), type.empty() ? nullptr : type.c_str(), flags,
            data.empty() ? nullptr : data.c_str()) != 0)
    return Errorf(ErrorCode::kIo, "mount {} ({}) on {}{}: {}", src, type, target,
                  data.empty() ? "" : " with " + data, Errno());
  return {};
}

Status MountApi() {
  HULL_TRY(Mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC));
  HULL_TRY(Mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC));
  HULL_TRY(Mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755"));
  HULL_TRY(Mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"));
  return {};
}

Result<std::string> ReadSmallFile(const std::string& path, size_t max) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Errorf(ErrorCode::kNotFound, "open {}: {}", path, Errno());
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0) return Errorf(ErrorCode::kIo, "read {}: {}", path, Errno());
    if (n == 0) break;
    out.append(buf, size_t(n));
    if (out.size() > max) return Errorf(ErrorCode::kIo, "{}: larger than {} bytes", path, max);
  }
  return out;
}

Status LoadModule(const std::string& moddir, const ModuleIndex& index, const std::string& name,
                  std::set<std::string>& loaded) {
  HULL_ASSIGN_OR_RETURN(auto order, LoadOrder(index, name, loaded));
  for (const std::string& rel : order) {
    std::string path = moddir + "/" + rel;
    Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return Errorf(ErrorCode::kNotFound, "module {}: {}", path, Errno());
    bool compressed = rel.ends_with(".xz") || rel.ends_with(".zst") || rel.ends_with(".gz");
    int flags = compressed ? 4 /* MODULE_INIT_COMPRESSED_FILE */ : 0;
    if (syscall(SYS_finit_module, fd.get(), "", flags) != 0 && errno != EEXIST)
      return Errorf(ErrorCode::kIo, "loading module {}: {}", path, Errno());
  }
  return {};
}

Result<int> ArmWatchdog(int timeout_s) {
  // Closed before exec: the device opens once at a time, and systemd must
  // be able to open it.
  Fd fd(open("/dev/watchdog", O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return Errorf(ErrorCode::kNotFound, "open /dev/watchdog: {}", Errno());
  int t = timeout_s;
  if (ioctl(fd.get(), WDIOC_SETTIMEOUT, &t) != 0) {
    int e = errno;
    // Disarm (magic close) rather than leave the driver's default running.
    ssize_t w = write(fd.get(), "V", 1);
    (void)w;
    return Errorf(ErrorCode::kIo, "WDIOC_SETTIMEOUT {} s on /dev/watchdog: {}", timeout_s,
                  std::strerror(e));
  }
  return t;  // ~Fd closes without writing 'V': the timer keeps running
}

Result<uint64_t> BlockDeviceSize(const std::string& dev) {
  Fd fd(open(dev.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Errorf(ErrorCode::kIo, "open {}: {}", dev, Errno());
  uint64_t size = 0;
  if (ioctl(fd.get(), BLKGETSIZE64, &size) != 0)
    return Errorf(ErrorCode::kIo, "BLKGETSIZE64 {}: {}", dev, Errno());
  return size;
}

Status CopyDeviceToFile(const std::string& dev, uint64_t bytes, const std::string& file,
                        uint64_t file_bytes, Sha256Stream* hash) {
  Fd in(open(dev.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return Errorf(ErrorCode::kIo, "open {}: {}", dev, Errno());
  Fd out(open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (out.get() < 0) return Errorf(ErrorCode::kIo, "create {}: {}", file, Errno());
  if (ftruncate(out.get(), off_t(file_bytes)) != 0)
    return Errorf(ErrorCode::kIo, "ftruncate {}: {}", file, Errno());
  std::vector<uint8_t> buf(1 << 20);
  for (uint64_t done = 0; done < bytes;) {
    size_t n = size_t(std::min<uint64_t>(buf.size(), bytes - done));
    ssize_t r = pread(in.get(), buf.data(), n, off_t(done));
    if (r <= 0) return Errorf(ErrorCode::kIo, "read {} at {}: {}", dev, done, Errno());
    if (hash) hash->Update(ByteSpan(buf.data(), size_t(r)));
    // Holes stay holes: the file is in memory.
    bool zero = std::all_of(buf.begin(), buf.begin() + r, [](uint8_t c) { return c == 0; });
    if (!zero && pwrite(out.get(), buf.data(), size_t(r), off_t(done)) != r)
      return Errorf(ErrorCode::kIo, "write {} at {}: {}", file, done, Errno());
    done += uint64_t(r);
  }
  return {};
}

Result<uint32_t> LogicalBlockSize(const std::string& dev) {
  Fd fd(open(dev.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Errorf(ErrorCode::kIo, "open {}: {}", dev, Errno());
  int size = 0;
  if (ioctl(fd.get(), BLKSSZGET, &size) != 0 || size <= 0)
    return Errorf(ErrorCode::kIo, "BLKSSZGET {}: {}", dev, Errno());
  return uint32_t(size);
}

Result<Bytes> ReadAt(const std::string& dev, uint64_t offset, size_t length) {
  Fd fd(open(dev.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Errorf(ErrorCode::kIo, "open {}: {}", dev, Errno());
  Bytes out(length);
  size_t got = 0;
  while (got < length) {
    ssize_t n = pread(fd.get(), out.data() + got, length - got, off_t(offset + got));
    if (n < 0) return Errorf(ErrorCode::kIo, "read {} at {}: {}", dev, offset + got, Errno());
    if (n == 0) return Errorf(ErrorCode::kIo, "read {}: end of device at {}", dev, offset + got);
    got += size_t(n);
  }
  return out;
}

namespace {

class DeviceSource : public gpt::Source {
 public:
  DeviceSource(std::string dev, uint64_t size) : dev_(std::move(dev)), size_(size) {}
  Status ReadAt(uint64_t offset, MutableByteSpan out) const override {
    HULL_ASSIGN_OR_RETURN(Bytes b, init::ReadAt(dev_, offset, out.size()));
    std::copy(b.begin(), b.end(), out.begin());
    return {};
  }
  uint64_t size() const override { return size_; }

 private:
  std::string dev_;
  uint64_t size_;
};

bool Skipped(const std::string& n) {
  // Optical drives (sr) are scanned: the install medium boots from one.
  for (const char* p : {"loop", "ram", "dm-", "zram", "fd", "nbd"})
    if (n.starts_with(p)) return true;
  return false;
}

}  // namespace

std::vector<Disk> ScanDisks(std::vector<std::string>* unusable) {
  std::vector<Disk> disks;
  DIR* d = opendir("/sys/block");
  if (!d) return disks;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == ".." || Skipped(n)) continue;
    names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    std::string dev = "/dev/" + n;
    auto size = BlockDeviceSize(dev);
    if (!size.ok() || *size == 0) continue;
    DeviceSource src(dev, *size);
    // As firmware and the kernel do: a copy left invalid by a rewrite cut
    // short (GrowRootPartitionOf, the slot installer) is repaired by the other.
    auto table = gpt::ReadRecovering(src);
    if (!table.ok()) {
      if (unusable) unusable->push_back(dev + ": " + table.error().ToString());
      continue;
    }
    char link[512];
    ssize_t n_link = readlink(("/sys/block/" + n).c_str(), link, sizeof link - 1);
    std::vector<node::PciFunction> pci;
    if (n_link > 0) pci = node::SysfsPciPath(std::string_view(link, size_t(n_link)));
    disks.push_back({dev, std::move(table->table), std::move(pci)});
  }
  return disks;
}

Result<bool> ExtendPhase(const std::string& word) {
  const char* path = nullptr;
  for (const char* p : {"/dev/tpmrm0", "/dev/tpm0"})
    if (access(p, F_OK) == 0) {
      path = p;
      break;
    }
  if (!path) return false;
  Fd fd(open(path, O_RDWR | O_CLOEXEC));
  if (fd.get() < 0) return Errorf(ErrorCode::kIo, "open {}: {}", path, Errno());
  Bytes cmd = EncodePcrExtend(kPcrPhase, PhaseDigest(word));
  if (write(fd.get(), cmd.data(), cmd.size()) != ssize_t(cmd.size()))
    return Errorf(ErrorCode::kIo, "write TPM command to {}: {}", path, Errno());
  uint8_t resp[4096];
  ssize_t n = read(fd.get(), resp, sizeof resp);
  if (n < 0) return Errorf(ErrorCode::kIo, "read TPM response from {}: {}", path, Errno());
  HULL_TRY(CheckResponse(ByteSpan(resp, size_t(n))).Context("PCR 11 extend with " + word));
  return true;
}

Status SwitchRoot(const std::string& new_root, const std::string& init) {
  for (const char* m : {"/proc", "/sys", "/dev", "/run"}) {
    std::string target = new_root + m;
    HULL_TRY(Mkdirs(target));
    if (mount(m, target.c_str(), nullptr, MS_MOVE, nullptr) != 0)
      return Errorf(ErrorCode::kIo, "move mount {} to {}: {}", m, target, Errno());
  }
  if (chdir(new_root.c_str()) != 0)
    return Errorf(ErrorCode::kIo, "chdir {}: {}", new_root, Errno());
  if (mount(".", "/", nullptr, MS_MOVE, nullptr) != 0)
    return Errorf(ErrorCode::kIo, "move {} to /: {}", new_root, Errno());
  if (chroot(".") != 0) return Errorf(ErrorCode::kIo, "chroot: {}", Errno());
  if (chdir("/") != 0) return Errorf(ErrorCode::kIo, "chdir /: {}", Errno());
  char* argv[] = {const_cast<char*>(init.c_str()), nullptr};
  execv(init.c_str(), argv);
  return Errorf(ErrorCode::kIo, "exec {}: {}", init, Errno());
}

BootDevice ReadBootDevice() {
  BootDevice out;
  if (access("/sys/firmware/efi", F_OK) != 0) {
    out.why_no_esp = out.why_no_pci = "not started by UEFI firmware";
    return out;
  }
  bool mounted = mount("efivarfs", node::kEfivarsDir, "efivarfs",
                       MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0;
  if (!mounted && errno != EBUSY) {
    out.why_no_esp = out.why_no_pci =
        fmt::format("mounting efivarfs on {}: {}", node::kEfivarsDir, Errno());
    return out;
  }
  const std::string dir = std::string(node::kEfivarsDir) + "/";
  auto file =
      ReadSmallFile(dir + node::kLoaderDevicePartUuidVar, node::kMaxLoaderDevicePartUuidBytes);
  if (!file.ok()) {
    out.why_no_esp = file.error().ToString();
  } else if (auto uuid = node::ParseLoaderDevicePartUuid(AsBytes(*file)); !uuid.ok()) {
    out.why_no_esp = uuid.error().ToString();
  } else {
    out.esp = *uuid;
  }
  auto pci = [&]() -> Result<std::vector<node::PciFunction>> {
    HULL_ASSIGN_OR_RETURN(std::string cur, ReadSmallFile(dir + node::BootCurrentVariable(), 64));
    HULL_ASSIGN_OR_RETURN(uint16_t number, node::ParseBootCurrent(AsBytes(cur)));
    HULL_ASSIGN_OR_RETURN(std::string option, ReadSmallFile(dir + node::BootOptionVariable(number),
                                                            4 + node::kMaxLoadOptionBytes));
    HULL_ASSIGN_OR_RETURN(auto path, node::ParseLoadOptionPciPath(AsBytes(option)));
    if (path.empty())
      return Errorf(ErrorCode::kNotFound, "load option Boot{:04X} names no PCI device", number);
    return path;
  }();
  if (mounted) umount(node::kEfivarsDir);  // systemd mounts it again, read-write
  if (pci.ok())
    out.pci = std::move(*pci);
  else
    out.why_no_pci = pci.error().ToString();
  return out;
}

Result<std::vector<std::string>> PrepareOsDisk(const Found& f) {
  HULL_ASSIGN_OR_RETURN(auto disk, slot::FileDisk::Open(f.disk, /*writable=*/true));
  HULL_ASSIGN_OR_RETURN(auto read, slot::ReadRepairing(*disk));
  gpt::Table t = read.table;
  std::vector<std::string> done;
  if (read.from_backup)
    done.push_back("primary GPT written again from the backup (" + read.note + ")");
  if (!HasNodeIdentity(t, f.root.number)) {
    uint8_t random[16];
    if (getrandom(random, sizeof random, 0) != ssize_t(sizeof random))
      return Errorf(ErrorCode::kIo, "getrandom: {}", Errno());
    t = WithNodeIdentity(t, f.root.number, RandomUuid(ByteSpan(random, sizeof random)));
    done.push_back("disk GUID " + t.disk_guid.ToString() + " (ESP and root UUIDs derived)");
  }
  HULL_ASSIGN_OR_RETURN(auto grown, GrowRootPartition(t, f.root.number));
  if (grown) t = std::move(*grown);
  if (done.empty() && !grown) return done;
  HULL_TRY(slot::WriteTableCrashSafe(*disk, t, 1 << 20).Context("writing the GPT"));
  if (!grown) return done;
  const gpt::Partition* root = nullptr;
  for (const auto& p : t.partitions)
    if (p.number == f.root.number) root = &p;
  const uint64_t ss = t.sector_size;
  blkpg_partition part{};
  part.start = static_cast<long long>(root->first_lba * ss);
  part.length = static_cast<long long>(root->sectors() * ss);
  part.pno = static_cast<int>(root->number);
  blkpg_ioctl_arg arg{};
  arg.op = BLKPG_RESIZE_PARTITION;
  arg.datalen = sizeof part;
  arg.data = &part;
  if (ioctl(disk->file().fd(), BLKPG, &arg) != 0)
    return Errorf(ErrorCode::kIo, "telling the kernel (BLKPG_RESIZE_PARTITION {}): {}", f.root_dev,
                  Errno());
  done.push_back(fmt::format("root partition {} grown from {} to {} MiB (to the end of {})",
                             f.root_dev, f.root.sectors() * ss >> 20, root->sectors() * ss >> 20,
                             f.disk));
  return done;
}

Status GrowRootFs(const std::string& dev, const std::string& mountpoint) {
  HULL_ASSIGN_OR_RETURN(Bytes sb, ReadAt(dev, 1024, 1024));
  HULL_ASSIGN_OR_RETURN(Ext4Size fs, DecodeExt4Size(sb));
  HULL_ASSIGN_OR_RETURN(uint64_t partition, BlockDeviceSize(dev));
  std::optional<uint64_t> target = Ext4GrowTarget(fs, partition);
  if (!target) return {};
  // EXT4_IOC_RESIZE_FS (fs/ext4/ext4.h; what resize2fs calls for a mounted
  // file system): the kernel adds the block groups online.
  constexpr unsigned long kExt4IocResizeFs = _IOW('f', 16, uint64_t);
  Fd dir(open(mountpoint.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return Errorf(ErrorCode::kIo, "open {}: {}", mountpoint, Errno());
  uint64_t blocks = *target;
  if (ioctl(dir.get(), kExt4IocResizeFs, &blocks) != 0)
    return Errorf(ErrorCode::kIo, "EXT4_IOC_RESIZE_FS to {} blocks: {}", blocks, Errno());
  Log(fmt::format("root file system on {} grown from {} to {} blocks of {} bytes", dev, fs.blocks,
                  blocks, fs.block_size));
  return {};
}

}  // namespace hull::init
