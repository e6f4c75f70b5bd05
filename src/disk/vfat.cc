#include "disk/vfat.h"

#include <algorithm>
#include <filesystem>

#include "base/file.h"
#include "base/subprocess.h"

namespace hull::disk {
namespace fs = std::filesystem;

std::vector<std::string> MkfsVfatArgv(const VfatOptions& o) {
  std::vector<std::string> argv{"mkfs.vfat",
                                "-C",
                                "--invariant",
                                "-F",
                                "32",
                                "-S",
                                std::to_string(o.sector_size),
                                "-i",
                                fmt::format("{:08x}", o.volume_id)};
  if (!o.label.empty()) argv.insert(argv.end(), {"-n", o.label});
  argv.push_back(o.image_path);
  argv.push_back(std::to_string(o.size / 1024));
  return argv;
}

std::vector<std::string> VfatToolEnv(const VfatOptions& o) {
  return {fmt::format("SOURCE_DATE_EPOCH={}", o.source_date_epoch), "MTOOLS_SKIP_CHECK=1", "TZ=UTC",
          "LC_ALL=C"};
}

namespace {

Status RunTool(const VfatOptions& o, std::vector<std::string> argv, const char* package) {
  Command cmd{.argv = std::move(argv),
              .env = VfatToolEnv(o),
              .timeout = std::chrono::minutes(5),
              .install_hint = std::string("apt-get install ") + package};
  auto r = Run(cmd);
  if (!r.ok()) return std::move(r).error();
  return Ok();
}

// Directories (to create) and files per directory (to copy), sorted, relative.
Status Walk(const fs::path& root, std::vector<fs::path>& dirs,
            std::vector<std::pair<fs::path, std::vector<fs::path>>>& files) {
  std::error_code ec;
  std::vector<fs::path> queue{fs::path()};
  while (!queue.empty()) {
    fs::path rel = queue.front();
    queue.erase(queue.begin());
    std::vector<fs::path> entries;
    for (auto it = fs::directory_iterator(root / rel, ec); !ec && it != fs::directory_iterator();
         it.increment(ec))
      entries.push_back(it->path().filename());
    if (ec) return ErrnoError(ec.value(), "listing", (root / rel).string());
    std::sort(entries.begin(), entries.end());
    std::vector<fs::path> here;
    for (const auto& name : entries) {
      fs::path child = root / rel / name;
      if (fs::is_directory(fs::symlink_status(child))) {
        dirs.push_back(rel / name);
        queue.push_back(rel / name);
      } else if (fs::is_regular_file(fs::symlink_status(child))) {
        here.push_back(child);
      } else {
        return Errorf(ErrorCode::kUnsupported, "'{}': FAT holds only directories and files",
                      child.string());
      }
    }
    if (!here.empty()) files.emplace_back(rel, std::move(here));
  }
  return Ok();
}

}  // namespace

Status MakeVfat(const VfatOptions& o) {
  if (o.size == 0 || o.size % 1024 != 0)
    return Errorf(ErrorCode::kInvalidArgument, "vfat size {} is not a multiple of 1 KiB", o.size);
  if (o.label.size() > 11)
    return Errorf(ErrorCode::kInvalidArgument, "vfat label '{}' longer than 11", o.label);
  HULL_TRY(RunTool(o, MkfsVfatArgv(o), "dosfstools"));
  if (o.source_dir.empty()) return Ok();
  std::vector<fs::path> dirs;
  std::vector<std::pair<fs::path, std::vector<fs::path>>> files;
  HULL_TRY(Walk(o.source_dir, dirs, files));
  // Breadth-first order lists parents before children, as mmd needs.
  for (const auto& d : dirs)
    HULL_TRY(RunTool(o, {"mmd", "-i", o.image_path, "::/" + d.generic_string()}, "mtools"));
  for (const auto& [dir, list] : files) {
    std::vector<std::string> argv{"mcopy", "-m", "-i", o.image_path};
    for (const auto& f : list) argv.push_back(f.string());
    argv.push_back("::/" + dir.generic_string());
    HULL_TRY(RunTool(o, std::move(argv), "mtools"));
  }
  return Ok();
}

}  // namespace hull::disk
