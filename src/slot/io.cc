#include "slot/io.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <sstream>

#include "base/subprocess.h"

namespace hull::slot {
namespace fs = std::filesystem;

namespace {

// FAT names we write: no path separators, no "..", nothing mtools reads as an option.
Status CheckName(const std::string& name) {
  bool bad = name.empty() || name.size() > 200 || name[0] == '.' || name[0] == '-' ||
             name.find_first_of("/\\:*?\"<>|") != std::string::npos;
  if (bad) return Errorf(ErrorCode::kInvalidArgument, "ESP file name '{}' not allowed", name);
  return Ok();
}

}  // namespace

Result<std::unique_ptr<FileDisk>> FileDisk::Open(const std::string& path, bool writable) {
  HULL_ASSIGN_OR_RETURN(File f, writable ? File::OpenReadWrite(path) : File::OpenRead(path));
  uint64_t size = 0;
  off_t end = ::lseek(f.fd(), 0, SEEK_END);  // a block device's size (stat gives 0)
  if (end < 0) return ErrnoError(errno, "seeking to the end of", path);
  size = uint64_t(end);
  return std::unique_ptr<FileDisk>(new FileDisk(std::move(f), size, writable));
}

Status FileDisk::ReadAt(uint64_t offset, MutableByteSpan out) const {
  return file_.ReadAt(offset, out);
}

Status FileDisk::WriteAt(uint64_t offset, ByteSpan data) {
  uint64_t end;
  if (!CheckedAdd(offset, data.size(), &end) || end > size_)
    return Errorf(ErrorCode::kInvalidArgument, "write of {} bytes at {} past the disk end ({})",
                  data.size(), offset, size_);
  return file_.WriteAt(offset, data);
}

std::vector<std::string> MtoolsEsp::Argv(const std::string& tool,
                                         std::vector<std::string> args) const {
  std::vector<std::string> argv{tool, "-i", fmt::format("{}@@{}", image_, offset_)};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

namespace {

Result<ProcessOutput> RunMtools(std::vector<std::string> argv) {
  Command c{.argv = std::move(argv),
            .env = {"MTOOLS_SKIP_CHECK=1", "TZ=UTC", "LC_ALL=C"},
            .timeout = std::chrono::seconds(120),
            .install_hint = "apt-get install mtools"};
  return Run(c);
}

}  // namespace

Status MtoolsEsp::SyncImage() {
  HULL_ASSIGN_OR_RETURN(File f, File::OpenReadWrite(image_));
  return f.Sync();
}

Result<std::vector<std::string>> MtoolsEsp::List() {
  auto out = RunAllowFailure(Command{.argv = Argv("mdir", {"-b", "::/EFI/Linux"}),
                                     .env = {"MTOOLS_SKIP_CHECK=1", "LC_ALL=C"},
                                     .timeout = std::chrono::seconds(120),
                                     .install_hint = "apt-get install mtools"});
  if (!out.ok()) return std::move(out).error();
  std::vector<std::string> names;
  if (out->exit_code != 0) {
    if (out->err.find("not found") != std::string::npos) return names;  // no /EFI/Linux yet
    return Errorf(ErrorCode::kProcessFailed, "mdir of {}@@{}: {}", image_, offset_, out->err);
  }
  std::istringstream in(out->out);
  const std::string prefix = "::/EFI/Linux/";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0 && line.size() > prefix.size() && line.back() != '/')
      names.push_back(line.substr(prefix.size()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<Bytes> MtoolsEsp::Read(const std::string& name, uint64_t max_bytes) {
  HULL_TRY(CheckName(name));
  HULL_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create("hull-esp"));
  std::string local = tmp.path() + "/file";
  HULL_TRY(RunMtools(Argv("mcopy", {"-n", "::/EFI/Linux/" + name, local})));
  return ReadFileBytes(local, max_bytes);
}

Status MtoolsEsp::Write(const std::string& name, ByteSpan data) {
  HULL_TRY(CheckName(name));
  HULL_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create("hull-esp"));
  std::string local = tmp.path() + "/file";
  HULL_TRY(WriteFileAtomic(local, data));
  auto made = RunAllowFailure(Command{.argv = Argv("mmd", {"-D", "s", "::/EFI", "::/EFI/Linux"}),
                                      .env = {"MTOOLS_SKIP_CHECK=1"},
                                      .timeout = std::chrono::seconds(60)});
  (void)made;  // the directories usually exist already; mcopy reports a real problem
  HULL_TRY(RunMtools(Argv("mcopy", {"-D", "o", local, "::/EFI/Linux/" + name})));
  return SyncImage();
}

Status MtoolsEsp::Rename(const std::string& from, const std::string& to) {
  HULL_TRY(CheckName(from));
  HULL_TRY(CheckName(to));
  HULL_TRY(RunMtools(Argv("mren", {"::/EFI/Linux/" + from, "::/EFI/Linux/" + to})));
  return SyncImage();
}

Status MtoolsEsp::Remove(const std::string& name) {
  HULL_TRY(CheckName(name));
  HULL_TRY(RunMtools(Argv("mdel", {"::/EFI/Linux/" + name})));
  return SyncImage();
}

Status DirectoryEsp::SyncDir() {
  int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "opening", dir_);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoError(err, "fsync of", dir_);
  return Ok();
}

Result<std::vector<std::string>> DirectoryEsp::List() {
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return names;
  for (auto it = fs::directory_iterator(dir_, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) names.push_back(it->path().filename().string());
  }
  if (ec) return ErrnoError(ec.value(), "listing", dir_);
  std::sort(names.begin(), names.end());
  return names;
}

Result<Bytes> DirectoryEsp::Read(const std::string& name, uint64_t max_bytes) {
  HULL_TRY(CheckName(name));
  return ReadFileBytes(dir_ + "/" + name, max_bytes);
}

Status DirectoryEsp::Write(const std::string& name, ByteSpan data) {
  HULL_TRY(CheckName(name));
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return ErrnoError(ec.value(), "creating", dir_);
  return WriteFileAtomic(dir_ + "/" + name, data);  // fsyncs the file and the directory
}

Status DirectoryEsp::Rename(const std::string& from, const std::string& to) {
  HULL_TRY(CheckName(from));
  HULL_TRY(CheckName(to));
  std::string a = dir_ + "/" + from, b = dir_ + "/" + to;
  if (::rename(a.c_str(), b.c_str()) != 0) return ErrnoError(errno, "renaming", a);
  return SyncDir();
}

Status DirectoryEsp::Remove(const std::string& name) {
  HULL_TRY(CheckName(name));
  std::string p = dir_ + "/" + name;
  if (::unlink(p.c_str()) != 0) return ErrnoError(errno, "removing", p);
  return SyncDir();
}

}  // namespace hull::slot
