#include "agent/boot_entry.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "base/fd.h"
#include "gpt/types.h"

namespace hull::agent {
namespace {

// The whole file, at most `cap` bytes (an efivarfs read returns the
// attributes and the value in one go).
Result<Bytes> ReadVar(const std::string& path, size_t cap) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Errorf(ErrorCode::kIo, "open {}: {}", path, std::strerror(errno));
  Bytes buf(cap + 1);
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = read(fd.get(), buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errorf(ErrorCode::kIo, "read {}: {}", path, std::strerror(errno));
    if (n == 0) break;
    got += size_t(n);
  }
  if (got > cap) return Errorf(ErrorCode::kCorrupt, "{}: more than {} bytes", path, cap);
  buf.resize(got);
  return buf;
}

// Clears the immutable flag efivarfs sets on the firmware's variables. A
// file system without the flags (a test's plain directory) is left as is.
Status MakeMutable(const std::string& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Errorf(ErrorCode::kIo, "open {}: {}", path, std::strerror(errno));
  int flags = 0;
  if (ioctl(fd.get(), FS_IOC_GETFLAGS, &flags) != 0) {
    if (errno == ENOTTY || errno == EOPNOTSUPP || errno == EINVAL) return Ok();
    return Errorf(ErrorCode::kIo, "FS_IOC_GETFLAGS {}: {}", path, std::strerror(errno));
  }
  if (!(flags & FS_IMMUTABLE_FL)) return Ok();
  flags &= ~FS_IMMUTABLE_FL;
  if (ioctl(fd.get(), FS_IOC_SETFLAGS, &flags) != 0)
    return Errorf(ErrorCode::kIo, "clearing the immutable flag of {}: {}", path,
                  std::strerror(errno));
  return Ok();
}

// Replaces (or creates) a variable: an existing one is deleted first (made
// mutable, unlinked), then the file is created and written in one write(2),
// as efivarfs requires.
Status WriteVar(const std::string& path, ByteSpan data) {
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    HULL_TRY(MakeMutable(path));
    if (unlink(path.c_str()) != 0)
      return Errorf(ErrorCode::kIo, "deleting {}: {}", path, std::strerror(errno));
  }
  Bytes file = node::EfivarsFile(node::kBootVariableAttributes, data);
  Fd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) return Errorf(ErrorCode::kIo, "creating {}: {}", path, std::strerror(errno));
  ssize_t n = write(fd.get(), file.data(), file.size());
  if (n != ssize_t(file.size()))
    return Errorf(ErrorCode::kIo, "writing {}: {}", path,
                  n < 0 ? std::strerror(errno) : "short write");
  return Ok();
}

Status Writable(const std::string& efivars) {
  struct statvfs vfs {};
  if (statvfs(efivars.c_str(), &vfs) != 0)
    return Errorf(ErrorCode::kNotFound, "no efivarfs at {} ({}): not started by UEFI firmware?",
                  efivars, std::strerror(errno));
  if (vfs.f_flag & ST_RDONLY)
    return Errorf(ErrorCode::kRefused, "{} is mounted read-only", efivars);
  return Ok();
}

}  // namespace

node::LoadOption EspLoadOption(const gpt::Partition& esp) {
  return {.description = kBootEntryDescription,
          .disk = {.partition = esp.number,
                   .start_lba = esp.first_lba,
                   .sectors = esp.sectors(),
                   .partition_guid = esp.uuid},
          .file = fmt::format("\\EFI\\BOOT\\{}", node::RemovableBootFile(gpt::kNativeArch))};
}

Result<gpt::Partition> FindEsp(const gpt::Table& t) {
  for (const gpt::Partition& p : t.partitions) {
    const gpt::PartitionType* type = gpt::LookupTypeGuid(p.type);
    if (type && type->role == gpt::Role::kEsp) return p;
  }
  return Error(ErrorCode::kNotFound, "no ESP in the disk's GPT");
}

Result<uint16_t> AddBootEntry(const std::string& efivars, const node::LoadOption& option) {
  HULL_TRY(Writable(efivars));
  HULL_ASSIGN_OR_RETURN(Bytes ours, node::EncodeLoadOption(option));
  std::set<int> taken;
  int same = -1;
  DIR* d = opendir(efivars.c_str());
  if (!d) return Errorf(ErrorCode::kIo, "listing {}: {}", efivars, std::strerror(errno));
  while (dirent* e = readdir(d)) {
    const int n = node::BootOptionNumber(e->d_name);
    if (n < 0) continue;
    taken.insert(n);
    auto v = ReadVar(efivars + "/" + e->d_name, 4 + node::kMaxLoadOptionBytes);
    if (same < 0 && v.ok() && v->size() == 4 + ours.size() &&
        std::equal(ours.begin(), ours.end(), v->begin() + 4))
      same = n;
  }
  closedir(d);
  int number = same;
  for (int n = 0; number < 0 && n <= 0xffff; ++n)
    if (!taken.contains(n)) number = n;
  if (number < 0) return Error(ErrorCode::kRefused, "all 65536 Boot#### variables are taken");
  const auto num = uint16_t(number);
  if (same < 0) HULL_TRY(WriteVar(efivars + "/" + node::BootOptionVariable(num), ours));
  const std::string order_path = efivars + "/" + node::BootOrderVariable();
  std::vector<uint16_t> order;
  struct stat st {};
  if (stat(order_path.c_str(), &st) == 0) {
    HULL_ASSIGN_OR_RETURN(Bytes f, ReadVar(order_path, 4 + node::kMaxBootOrderBytes));
    HULL_ASSIGN_OR_RETURN(order, node::DecodeBootOrderFile(f));
  }
  if (order.empty() || order[0] != num)
    HULL_TRY(WriteVar(order_path, node::EncodeBootOrder(node::PutFirst(order, num))));
  return num;
}

Status SetBootNext(const std::string& efivars, uint16_t number) {
  HULL_TRY(Writable(efivars));
  const uint16_t one[] = {number};
  return WriteVar(efivars + "/" + node::BootNextVariable(), node::EncodeBootOrder(one));
}

std::string DescribeBootEntry(uint16_t number, const node::LoadOption& o) {
  return fmt::format("Boot{:04X} (HD({},GPT,{},0x{:x},0x{:x})/{})", number, o.disk.partition,
                     o.disk.partition_guid.ToString(), o.disk.start_lba, o.disk.sectors, o.file);
}

}  // namespace hull::agent
