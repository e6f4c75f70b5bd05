#include "build/initrd.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <memory>
#include <set>

#include "base/file.h"
#include "base/hex.h"
#include "crypto/digest.h"

namespace hull::build {
namespace fs = std::filesystem;

// sr_mod and loop: the install medium's optical drive and its live root;
// nfit and nd_pmem: the same medium netbooted, a RAM disk the firmware
// publishes in the ACPI NFIT, /dev/pmem0 (docs/iso.md "Netboot").
const std::vector<std::string> kInitrdModules = {
    "virtio_blk", "virtio_pci", "virtio_scsi", "virtio_mmio",  "nvme",    "sd_mod",
    "sr_mod",     "loop",       "hv_vmbus",    "hv_storvsc",   "dm-mod",  "dm-verity",
    "erofs",      "ext4",       "overlay",     "sha256-ssse3", "tpm_crb", "tpm_tis",
    "efivarfs",   "softdog",    "nfit",        "nd_pmem"};

namespace {

// Cap on a module file or the init binary read into memory.
constexpr uint64_t kMaxInitrdFile = uint64_t(256) << 20;

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

Error ArchiveError(archive* a, std::string_view what) {
  const char* msg = archive_error_string(a);
  return Errorf(ErrorCode::kInternal, "libarchive: {}: {}", what, msg ? msg : "unknown error");
}

struct Entry {
  mode_t mode;  // S_IFDIR|0755 or S_IFREG|mode
  Bytes data;
};

Status WriteEntries(const std::map<std::string, Entry>& entries, const std::string& out,
                    int64_t mtime) {
  std::unique_ptr<archive, ArchiveDeleter> a(archive_write_new());
  if (archive_write_set_format_cpio_newc(a.get()) != ARCHIVE_OK ||
      archive_write_add_filter_zstd(a.get()) != ARCHIVE_OK ||
      archive_write_set_filter_option(a.get(), "zstd", "compression-level", "19") != ARCHIVE_OK) {
    return ArchiveError(a.get(), "setting up newc + zstd");
  }
  if (archive_write_open_filename(a.get(), out.c_str()) != ARCHIVE_OK) {
    return ArchiveError(a.get(), "opening " + out);
  }
  int64_t ino = 1;
  for (const auto& [path, e] : entries) {
    std::unique_ptr<archive_entry, EntryDeleter> en(archive_entry_new());
    archive_entry_set_pathname(en.get(), path.c_str());
    archive_entry_set_mode(en.get(), e.mode);
    archive_entry_set_uid(en.get(), 0);
    archive_entry_set_gid(en.get(), 0);
    archive_entry_set_nlink(en.get(), S_ISDIR(e.mode) ? 2 : 1);
    archive_entry_set_ino64(en.get(), ino++);  // stable, not the host's inodes
    archive_entry_set_mtime(en.get(), mtime, 0);
    archive_entry_set_size(en.get(), S_ISDIR(e.mode) ? 0 : int64_t(e.data.size()));
    if (archive_write_header(a.get(), en.get()) != ARCHIVE_OK) {
      return ArchiveError(a.get(), "header of " + path);
    }
    if (!e.data.empty() &&
        archive_write_data(a.get(), e.data.data(), e.data.size()) != la_ssize_t(e.data.size())) {
      return ArchiveError(a.get(), "data of " + path);
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) return ArchiveError(a.get(), "closing");
  return {};
}

// Everything that decides the initrd's bytes: the libarchive and zstd
// versions, the level, the mtime and every entry (path, mode, content digest).
std::string CacheKey(const std::map<std::string, Entry>& entries, int64_t mtime) {
  // (archive_version_details() would name the same, but it allocates a
  // string libarchive never frees.)
  std::string m = fmt::format("hull-initrd-v1\n{}\nzstd {}\nnewc zstd-19\nmtime={}\n",
                              archive_version_string(), archive_libzstd_version(), mtime);
  for (const auto& [path, e] : entries) {
    m += fmt::format("{} {:o} {} {}\n", path, unsigned(e.mode), e.data.size(),
                     HexEncode(crypto::Sha256(e.data)));
  }
  return HexEncode(crypto::Sha256(AsBytes(m)));
}

// Copies `from` (an initrd: a few MiB) to `to` through WriteFileAtomic: an
// entry (of the cache, or the output) is whole or absent.
Status CopyAtomic(const std::string& from, const std::string& to) {
  HULL_ASSIGN_OR_RETURN(Bytes data, ReadFileBytes(from));
  return WriteFileAtomic(to, data);
}

// Writes the initrd, or copies the cache's entry for the same entries.
Status WriteOrReuse(const std::map<std::string, Entry>& entries, const InitrdOptions& o,
                    bool& cache_hit) {
  cache_hit = false;
  if (o.cache_dir.empty()) return WriteEntries(entries, o.output, o.mtime);
  const fs::path dir = fs::path(o.cache_dir) / "initrd";
  const std::string cached = (dir / (CacheKey(entries, o.mtime) + ".cpio.zst")).string();
  std::error_code ec;
  if (fs::is_regular_file(cached, ec)) {
    HULL_TRY(CopyAtomic(cached, o.output));
    fs::last_write_time(cached, fs::file_time_type::clock::now(), ec);
    cache_hit = true;
    return {};
  }
  HULL_TRY(WriteEntries(entries, o.output, o.mtime));
  fs::create_directories(dir, ec);
  if (ec) return Errorf(ErrorCode::kIo, "creating '{}': {}", dir.string(), ec.message());
  HULL_TRY(CopyAtomic(o.output, cached));
  KeepMostRecent(dir.string(), kKeptInitrds);
  return {};
}

void AddParents(std::map<std::string, Entry>& entries, const std::string& path) {
  for (fs::path p = fs::path(path).parent_path(); !p.empty(); p = p.parent_path()) {
    entries.emplace(p.string(), Entry{S_IFDIR | 0755, {}});
  }
}

}  // namespace

InitrdModules ResolveInitrdModules(const rootfs::ModuleDeps& deps,
                                   const std::vector<std::string>& builtin_lines,
                                   const std::vector<std::string>& wanted) {
  InitrdModules r;
  std::set<std::string> keep = rootfs::ModulesToKeep(deps, wanted);
  r.paths.assign(keep.begin(), keep.end());
  for (const auto& name : wanted) {
    bool module = false;
    for (const auto& [path, _] : deps) module |= rootfs::ModuleMatches(path, {name});
    if (module) continue;
    bool builtin = false;
    for (const auto& line : builtin_lines) builtin |= rootfs::ModuleMatches(line, {name});
    (builtin ? r.builtin : r.absent).push_back(name);
  }
  return r;
}

std::string FilterModulesDep(const rootfs::ModuleDeps& deps, const std::vector<std::string>& keep) {
  std::set<std::string> k(keep.begin(), keep.end());
  std::string out;
  for (const auto& [path, list] : deps) {
    if (!k.count(path)) continue;
    out += path + ":";
    for (const auto& d : list) out += " " + d;
    out += "\n";
  }
  return out;
}

Result<InitrdResult> WriteInitrd(const InitrdOptions& o) {
  std::error_code ec;
  if (!fs::is_regular_file(o.init_binary, ec)) {
    return Errorf(ErrorCode::kNotFound,
                  "hull-init binary '{}' not found (build it with 'ninja -C build hull-init', "
                  "or pass --init PATH)",
                  o.init_binary);
  }
  HULL_ASSIGN_OR_RETURN(std::string dep_text,
                        ReadFileText(o.modules_dir + "/modules.dep", 64 << 20));
  HULL_ASSIGN_OR_RETURN(auto deps, rootfs::ParseModulesDep(dep_text).Context("initrd"));
  std::vector<std::string> builtin;
  std::string builtin_text;
  if (fs::exists(o.modules_dir + "/modules.builtin", ec)) {
    HULL_ASSIGN_OR_RETURN(builtin_text, ReadFileText(o.modules_dir + "/modules.builtin", 16 << 20));
    const std::string& b = builtin_text;
    for (size_t pos = 0; pos < b.size();) {
      size_t nl = b.find('\n', pos);
      if (nl == std::string::npos) nl = b.size();
      if (nl > pos) builtin.push_back(b.substr(pos, nl - pos));
      pos = nl + 1;
    }
  }
  InitrdResult res;
  res.modules = ResolveInitrdModules(deps, builtin, o.wanted);
  std::map<std::string, Entry> entries;
  HULL_ASSIGN_OR_RETURN(Bytes init, ReadFileBytes(o.init_binary, kMaxInitrdFile));
  entries["init"] = Entry{S_IFREG | 0755, std::move(init)};
  const std::string base = "usr/lib/modules/" + o.kernel_version + "/";
  for (const auto& rel : res.modules.paths) {
    HULL_ASSIGN_OR_RETURN(Bytes data, ReadFileBytes(o.modules_dir + "/" + rel, kMaxInitrdFile));
    entries[base + rel] = Entry{S_IFREG | 0644, std::move(data)};
  }
  std::string dep = FilterModulesDep(deps, res.modules.paths);
  entries[base + "modules.dep"] = Entry{S_IFREG | 0644, Bytes(dep.begin(), dep.end())};
  // hull-init tells a built-in module (ext4 in Debian's cloud kernel) from a
  // missing one by this list.
  if (!builtin_text.empty()) {
    entries[base + "modules.builtin"] =
        Entry{S_IFREG | 0644, Bytes(builtin_text.begin(), builtin_text.end())};
  }
  std::vector<std::string> files;
  for (const auto& [p, _] : entries) files.push_back(p);
  for (const auto& p : files) AddParents(entries, p);
  HULL_TRY(WriteOrReuse(entries, o, res.cache_hit).Context("initrd"));
  res.bytes = fs::file_size(o.output, ec);
  return res;
}

}  // namespace hull::build
