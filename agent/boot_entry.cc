#include "agent/boot_entry.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
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

// The file's first `cap` bytes at most (an efivarfs read returns the
// attributes and the value in one go): a longer one is read cut, for the
// caller to tell by its size.
Result<Bytes> ReadVar(const std::string& path, size_t cap) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Errorf(ErrorCode::kIo, "open {}: {}", path, std::strerror(errno));
  Bytes buf(cap);
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = read(fd.get(), buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errorf(ErrorCode::kIo, "read {}: {}", path, std::strerror(errno));
    if (n == 0) break;
    got += size_t(n);
  }
  buf.resize(got);
  return buf;
}

// Sets a variable by one write(2) of its whole efivarfs file: an existing
// file is opened as it is, never deleted first, so on efivarfs the old
// value is replaced by the new in the one SetVariable call (no O_TRUNC: the
// kernel sizes the file from the value). A plain directory standing in for
// efivarfs (a simulated node, a test) is cut to the value afterwards.
Status WriteVar(const std::string& path, ByteSpan data) {
  Bytes file = node::EfivarsFile(node::kBootVariableAttributes, data);
  Fd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) return Errorf(ErrorCode::kIo, "opening {}: {}", path, std::strerror(errno));
  ssize_t n = write(fd.get(), file.data(), file.size());
  if (n != ssize_t(file.size()))
    return Errorf(ErrorCode::kIo, "writing {}: {}", path,
                  n < 0 ? std::strerror(errno) : "short write");
  struct stat st {};
  if (fstat(fd.get(), &st) == 0 && uint64_t(st.st_size) > file.size() &&
      ftruncate(fd.get(), off_t(file.size())) != 0)
    return Errorf(ErrorCode::kIo, "truncating {}: {}", path, std::strerror(errno));
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

Result<BootEntry> AddBootEntry(const std::string& efivars, const node::LoadOption& option) {
  HULL_TRY(Writable(efivars));
  HULL_ASSIGN_OR_RETURN(Bytes ours, node::EncodeLoadOption(option));
  std::set<uint16_t> taken;
  int same = -1;
  DIR* d = opendir(efivars.c_str());
  if (!d) return Errorf(ErrorCode::kIo, "listing {}: {}", efivars, std::strerror(errno));
  while (dirent* e = readdir(d)) {
    const int n = node::BootOptionNumber(e->d_name);
    if (n < 0) continue;
    taken.insert(uint16_t(n));
    auto v = ReadVar(efivars + "/" + e->d_name, 4 + node::kMaxLoadOptionBytes);
    if (same < 0 && v.ok() && v->size() == 4 + ours.size() &&
        std::equal(ours.begin(), ours.end(), v->begin() + 4))
      same = n;
  }
  closedir(d);
  int number = same;
  for (int n = 0; number < 0 && n <= 0xffff; ++n)
    if (!taken.contains(uint16_t(n))) number = n;
  if (number < 0) return Error(ErrorCode::kRefused, "all 65536 Boot#### variables are taken");
  BootEntry out{.number = uint16_t(number),
                .described = DescribeBootEntry(uint16_t(number), option)};
  // The entry first: BootOrder never names a Boot#### not written yet.
  if (same < 0) HULL_TRY(WriteVar(efivars + "/" + node::BootOptionVariable(out.number), ours));
  const std::string order_path = efivars + "/" + node::BootOrderVariable();
  std::vector<uint16_t> order;
  struct stat st {};
  if (stat(order_path.c_str(), &st) == 0) {
    // Two bytes over the cap tell an oversized value from a full one.
    HULL_ASSIGN_OR_RETURN(Bytes f, ReadVar(order_path, 4 + node::kMaxBootOrderBytes + 2));
    auto decoded = node::DecodeBootOrderFile(f);
    if (decoded.ok()) {
      order = *std::move(decoded);
    } else {
      // No valid order: keep the numbers read that name an entry, once.
      out.malformed_order = decoded.error().message();
      std::set<uint16_t> kept;
      for (uint16_t n : node::SalvageBootOrderFile(f))
        if (taken.contains(n) && kept.insert(n).second) order.push_back(n);
    }
  }
  if (order.empty() || order[0] != out.number || !out.malformed_order.empty())
    HULL_TRY(WriteVar(order_path, node::EncodeBootOrder(node::PutFirst(order, out.number))));
  return out;
}

Result<BootEntry> AddDiskBootEntry(const std::string& efivars, const gpt::Table& t) {
  HULL_ASSIGN_OR_RETURN(gpt::Partition esp, FindEsp(t));
  return AddBootEntry(efivars, EspLoadOption(esp));
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
