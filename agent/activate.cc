#include "agent/activate.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "agent/events.h"
#include "agent/extension_plan.h"
#include "agent/extensions.h"
#include "agent/sysfs.h"
#include "base/exit_code.h"
#include "base/file.h"
#include "base/hex.h"
#include "base/subprocess.h"
#include "gpt/types.h"
#include "node/config.h"
#include "slot/dm_device.h"
#include "slot/extension.h"
#include "verity/table.h"

namespace hull::agent {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

bool IsMountPoint(const std::string& dir) {
  struct stat a {
  }, b{};
  return stat(dir.c_str(), &a) == 0 && stat((dir + "/..").c_str(), &b) == 0 && a.st_dev != b.st_dev;
}

// Verified image → loop devices → dm-verity → erofs (usr/ at its top)
// mounted read-only at /run/extensions/NAME; the layout and
// extension-release checks. On any failure what was set up is taken down.
class Activation {
 public:
  // `file`: the descriptor the image was verified through, the one mapped.
  Activation(const slot::ExtensionImage& ext, const File& file) : ext_(ext), file_(file) {}
  ~Activation() {
    if (!done_) Undo();
  }

  Status Run(const std::string& os_release) {
    HULL_ASSIGN_OR_RETURN(slot::Loop data, slot::AttachLoop(file_.fd(), file_.path(),
                                                            ext_.data_offset, ext_.data_bytes));
    auto hash = slot::AttachLoop(file_.fd(), file_.path(), ext_.verity_offset, ext_.verity_bytes);
    if (!hash.ok()) {
      close(data.fd);
      return std::move(hash).error();
    }
    auto mapped = Map(data, *hash);
    // device-mapper holds both loop devices now (or failed): ours can go.
    close(data.fd);
    close(hash->fd);
    HULL_TRY(mapped);
    HULL_TRY(Mount());
    // From here on a failure is the image's content, not the node's state.
    refused_ = true;
    HULL_ASSIGN_OR_RETURN(auto top, TopEntries());
    HULL_TRY(slot::CheckExtensionTop(ext_.name, top));
    HULL_ASSIGN_OR_RETURN(
        std::string rel,
        ReadFileText(
            fmt::format("{}/usr/lib/extension-release.d/extension-release.{}", dir_, ext_.name),
            slot::kMaxExtensionReleaseBytes)
            .Context(fmt::format("extension {}: its extension-release file", ext_.name)));
    HULL_TRY(slot::CheckExtensionRelease(ext_.name, rel, os_release, ext_.arch));
    refused_ = false;
    done_ = true;
    return Ok();
  }

  // Run failed on the image's content (its top directory or its
  // extension-release file), not on mapping or mounting it.
  bool refused() const { return refused_; }

 private:
  Status Map(const slot::Loop& data, const slot::Loop& hash) {
    HULL_ASSIGN_OR_RETURN(
        std::string table,
        verity::KernelTable(ext_.params, fmt::format("{}:{}", data.dev.major, data.dev.minor),
                            fmt::format("{}:{}", hash.dev.major, hash.dev.minor), ext_.root_hash));
    const uint64_t sectors = ext_.params.data_blocks * ext_.params.data_block_size / 512;
    const std::string uuid = "HULL-VERITY-ext-" + ext_.name.substr(0, 40) + "-" +
                             HexEncode(ext_.root_hash).substr(0, 16);
    HULL_ASSIGN_OR_RETURN(dev_, slot::DmCreate(DmName(), uuid, sectors, "verity", table));
    mapped_ = true;
    return Ok();
  }

  // devtmpfs names a device-mapper device dm-MINOR; a node of our own in
  // /run/hull would need a label the policy allows mounting.
  Status Mount() {
    const std::string dev = fmt::format("/dev/dm-{}", dev_.minor);
    struct stat st {};
    for (int i = 0; i < 50 && stat(dev.c_str(), &st) != 0; ++i) usleep(20000);
    if (!S_ISBLK(st.st_mode) || major(st.st_rdev) != dev_.major || minor(st.st_rdev) != dev_.minor)
      return Errorf(ErrorCode::kIo, "extension {}: {} is not the device-mapper device {}:{}",
                    ext_.name, dev, dev_.major, dev_.minor);
    // The erofs carries usr/ itself: mounted at /run/extensions/NAME it is
    // the directory extension systemd-sysext merges (systemd 252 binds the
    // directory without its submounts, so it must be the mount). Mounted in
    // place (a move out of a shared mount such as /run is refused):
    // systemd-sysext runs only after every extension has been judged, and a
    // refused one is unmounted and its directory removed before then.
    dir_ = std::string(slot::kSysextRunDir) + "/" + ext_.name;
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) return Errorf(ErrorCode::kIo, "creating {}: {}", dir_, ec.message());
    if (mount(dev.c_str(), dir_.c_str(), "erofs", MS_RDONLY | MS_NODEV | MS_NOSUID, nullptr) != 0)
      return Errorf(ErrorCode::kIo, "extension {}: mounting {} (erofs): {}", ext_.name, dev,
                    std::strerror(errno));
    mounted_ = true;
    return Ok();
  }

  // What the mounted file system holds at its top (lstat: a link is not a
  // directory).
  Result<std::vector<slot::TopEntry>> TopEntries() const {
    std::vector<slot::TopEntry> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
      if (out.size() >= 64) break;  // enough to name one that does not belong
      out.push_back(
          {e.path().filename().string(), e.symlink_status(ec).type() == fs::file_type::directory});
    }
    if (ec) return ErrnoError(ec.value(), "listing", dir_);
    return out;
  }

  void Undo() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
    // Deferred: the detached mount may hold it still; the kernel removes it
    // at its last close, so its name is free for the next try.
    if (mapped_) (void)slot::DmRemove(DmName(), /*deferred=*/true);
    if (!dir_.empty()) rmdir(dir_.c_str());
  }

  std::string DmName() const { return ExtensionDmName(ext_.name, HexEncode(ext_.root_hash)); }

  const slot::ExtensionImage& ext_;
  const File& file_;
  std::string dir_;
  node::DevNumber dev_;
  bool mapped_ = false, mounted_ = false, done_ = false, refused_ = false;
};

// Every check of slot/extension.h, then the activation. `refused` (when
// given) says whether a failure was a check refusing the image's bytes
// (signature, tree, content, layout, extension-release), as opposed to the
// node failing to open, map or mount it.
Result<std::string> Activate(const std::string& path, const ExtensionFile& f,
                             const slot::TrustSet& trust, const std::string& os_release,
                             bool* refused = nullptr) {
  bool dummy = false;
  bool& by_check = refused ? *refused : dummy;
  by_check = false;
  HULL_ASSIGN_OR_RETURN(File file, File::OpenRead(path));
  HULL_ASSIGN_OR_RETURN(gpt::FileSource src, gpt::FileSource::Open(file));
  by_check = true;
  HULL_ASSIGN_OR_RETURN(slot::ExtensionImage ext,
                        slot::VerifyExtensionImage(f.name, src, trust, gpt::kNativeArch));
  HULL_TRY(slot::VerifyExtensionContent(file, ext));
  by_check = false;
  Activation a(ext, file);
  Status run = a.Run(os_release);
  by_check = a.refused();
  HULL_TRY(run);
  return HexEncode(ext.root_hash);
}

bool ShipsUnits(const std::vector<ExtensionResult>& results) {
  std::error_code ec;
  for (const auto& r : results)
    if (r.state == "active" &&
        fs::is_directory(fmt::format("{}/{}/usr/lib/systemd/system", slot::kSysextRunDir, r.name),
                         ec))
      return true;
  return false;
}

// systemd-sysext merges /run/extensions; systemd 252 does not reload the
// service manager after a merge, so when an extension ships units the
// manager reloads and the targets of this boot are started again (queued,
// not waited for) so units the extensions enable start in this boot.
Status Merge(const std::vector<ExtensionResult>& results) {
  // Its debug log says why an extension is skipped: kept in the journal.
  HULL_ASSIGN_OR_RETURN(ProcessOutput out, Run(Command{.argv = {"systemd-sysext", "refresh"},
                                                       .env = {"SYSTEMD_LOG_LEVEL=debug"}}));
  std::fputs(out.err.c_str(), stderr);
  if (!ShipsUnits(results)) return Ok();
  HULL_TRY(Run(Command{.argv = {"systemctl", "daemon-reload"}}));
  HULL_TRY(Run(Command{.argv = {"systemctl", "start", "--no-block", "sockets.target",
                                "timers.target", "multi-user.target"}}));
  return Ok();
}

Result<std::vector<ExtensionFile>> ListFiles(std::vector<ExtensionResult>& results) {
  std::vector<ExtensionFile> files;
  std::error_code ec;
  if (!fs::is_directory(slot::kExtensionsDir, ec)) return files;
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(slot::kExtensionsDir, ec))
    if (e.path().extension() == ".raw") names.push_back(e.path().filename().string());
  if (ec) return ErrnoError(ec.value(), "listing", slot::kExtensionsDir);
  std::sort(names.begin(), names.end());
  if (names.size() > slot::kMaxExtensions)
    return Errorf(ErrorCode::kInvalidArgument, "{}: {} images, at most {}", slot::kExtensionsDir,
                  names.size(), slot::kMaxExtensions);
  for (const auto& n : names) {
    auto f = ParseExtensionFileName(n);
    if (f.ok()) {
      // The agent's record of what it fetched (none, or unreadable: tried).
      if (auto text = ReadFileText(std::string(slot::kExtensionsDir) + "/" + RecordName(n), 4096);
          text.ok()) {
        if (auto c = ParseCompatibilityRecord(*text); c.ok()) f->compatibility = std::move(*c);
      }
      files.push_back(std::move(*f));
    } else
      results.push_back(
          {.name = "", .file = n, .state = "refused", .reason = f.error().ToString()});
  }
  return files;
}

// This boot's record (an unreadable one is none: activation writes it
// afresh from what it finds mounted and on disk).
std::vector<ExtensionResult> PreviousResults(const Events& ev) {
  auto read = ReadExtensionsState(kExtensionsState);
  if (read.ok()) return std::move(*read);
  ev.Emit("extensions-error", {{"message", read.error().ToString()}});
  return {};
}

// Removes the dm-verity devices of versions a refresh replaced, deferred:
// the detached mount lets go of a device once its last reference (the old
// overlay, a file a process still holds open) is gone, which may be after
// the refresh returns (the kernel removes the device when it is last closed).
void RemoveReplaced(const std::vector<std::string>& dm_names, const Events& ev) {
  for (const std::string& dm : dm_names)
    if (auto st = slot::DmRemove(dm, /*deferred=*/true); !st.ok())
      ev.Emit("extensions-error", {{"message", st.error().ToString()}});
}

// The refresh of a swap, and the record that follows it: the entry stays
// "pending" (the reason saying why) when the refresh fails, and becomes
// "active" only once it succeeded.
Result<ExtensionResult> MergeSwap(std::vector<ExtensionResult> results, const std::string& name,
                                  std::vector<std::string> also_remove, const Events& ev) {
  if (Status merged = Merge(results).Context("merging"); !merged.ok()) {
    for (auto& r : results)
      if (r.name == name && r.state == "pending") r.reason = merged.error().ToString();
    if (auto st = WriteExtensionsState(kExtensionsState, results); !st.ok())
      ev.Emit("extensions-error", {{"message", st.error().ToString()}});
    return std::move(merged).error();
  }
  std::vector<std::string> replaced = CompleteMerge(results);
  HULL_TRY(WriteExtensionsState(kExtensionsState, results));
  const ExtensionResult* now = MountedEntry(results, name);
  if (!now) return Errorf(ErrorCode::kInternal, "extension {}: no record after the merge", name);
  ev.Emit("extension-active", {{"name", name}, {"file", now->file}, {"root_hash", now->root_hash}});
  for (const std::string& dm : also_remove)
    if (dm != ExtensionDmName(name, now->root_hash)) replaced.push_back(dm);
  RemoveReplaced(replaced, ev);
  return *now;
}

// The device-mapper device named `dm` (sysfs: /sys/block/dm-N/dm/name),
// or kNotFound.
Result<node::DevNumber> DmDeviceNamed(const std::string& dm) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/sys/block", ec)) {
    const std::string block = e.path().filename().string();
    if (!block.starts_with("dm-")) continue;
    auto name = ReadSysLine(e.path().string() + "/dm/name");
    if (!name.ok() || *name != dm) continue;
    HULL_ASSIGN_OR_RETURN(std::string dev, ReadSysLine(e.path().string() + "/dev"));
    unsigned major_number = 0, minor_number = 0;
    if (std::sscanf(dev.c_str(), "%u:%u", &major_number, &minor_number) != 2)
      return Errorf(ErrorCode::kCorrupt, "/sys/block/{}/dev says '{}'", block, dev);
    return node::DevNumber{major_number, minor_number};
  }
  return Errorf(ErrorCode::kNotFound, "no device-mapper device {}", dm);
}

// Cancels a pending swap back to the file it replaces (`pending`'s new file
// was withdrawn): that file's device is still mapped -- it goes only once a
// refresh merged the new one -- so it is mounted back at
// /run/extensions/NAME rather than mapped a second time, recorded pending
// over itself (CompleteMerge keeps its device) and merged; the withdrawn
// file's device goes after the refresh.
Result<ExtensionResult> CancelSwap(std::vector<ExtensionResult> results,
                                   const ExtensionResult& pending, const Events& ev) {
  const std::string& name = pending.name;
  const std::string dir = std::string(slot::kSysextRunDir) + "/" + name;
  HULL_ASSIGN_OR_RETURN(
      node::DevNumber back,
      DmDeviceNamed(ExtensionDmName(name, pending.replaces_root_hash))
          .Context(fmt::format("extension {}: cancelling the swap to {}: {} is not mapped any "
                               "more (the next boot's activation picks from the files on disk)",
                               name, pending.file, pending.replaces_file)));
  if (IsMountPoint(dir) && umount2(dir.c_str(), MNT_DETACH) != 0)
    return ErrnoError(errno, "detaching", dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string dev = fmt::format("/dev/dm-{}", back.minor);
  if (mount(dev.c_str(), dir.c_str(), "erofs", MS_RDONLY | MS_NODEV | MS_NOSUID, nullptr) != 0)
    return Errorf(ErrorCode::kIo, "extension {}: mounting {} ({}) again: {}", name, dev,
                  pending.replaces_file, std::strerror(errno));
  ExtensionResult now{.name = name,
                      .file = pending.replaces_file,
                      .state = "pending",
                      .root_hash = pending.replaces_root_hash,
                      .replaces_file = pending.replaces_file,
                      .replaces_root_hash = pending.replaces_root_hash};
  std::vector<std::string> also_remove;
  if (!pending.root_hash.empty()) also_remove.push_back(ExtensionDmName(name, pending.root_hash));
  results = WithEntry(std::move(results), now);
  HULL_TRY(WriteExtensionsState(kExtensionsState, results));
  return MergeSwap(std::move(results), name, std::move(also_remove), ev);
}

}  // namespace

Result<ExtensionResult> SwapExtension(const std::string& name, const std::string& file,
                                      const Events& ev, bool* refused) {
  if (refused) *refused = false;
  HULL_ASSIGN_OR_RETURN(auto f, ParseExtensionFileName(file));
  if (f.name != name)
    return Errorf(ErrorCode::kInvalidArgument, "{} is not a file of extension {}", file, name);
  HULL_ASSIGN_OR_RETURN(slot::TrustSet trust, slot::LoadTrustSet(node::kTrustDir));
  HULL_ASSIGN_OR_RETURN(std::string os_release, ReadFileText("/usr/lib/os-release", 1 << 16));
  HULL_ASSIGN_OR_RETURN(std::vector<ExtensionResult> results,
                        ReadExtensionsState(kExtensionsState));
  const std::string dir = std::string(slot::kSysextRunDir) + "/" + name;
  const ExtensionResult* mounted = MountedEntry(results, name);
  // A swap of this very file that a failed refresh (or a cut run) left
  // pending: it is mounted and checked already; only the merge is left.
  if (mounted && mounted->state == "pending" && mounted->file == file && IsMountPoint(dir))
    return MergeSwap(std::move(results), name, {}, ev);
  // Back to the file a pending swap replaces: a cancel (its new file was
  // withdrawn), with the device that file still has.
  if (mounted && mounted->state == "pending" && mounted->replaces_file == file &&
      mounted->file != file && !mounted->replaces_root_hash.empty()) {
    const ExtensionResult pending = *mounted;
    return CancelSwap(std::move(results), pending, ev);
  }
  // What /usr shows now: the active entry's version, or what a pending one
  // was to replace. A pending one of another file goes too once merged.
  ExtensionResult now{.name = name, .file = file, .state = "pending"};
  std::vector<std::string> also_remove;
  if (mounted && mounted->state == "active") {
    now.replaces_file = mounted->file;
    now.replaces_root_hash = mounted->root_hash;
  } else if (mounted) {
    now.replaces_file = mounted->replaces_file;
    now.replaces_root_hash = mounted->replaces_root_hash;
    if (!mounted->root_hash.empty())
      also_remove.push_back(ExtensionDmName(name, mounted->root_hash));
  }
  // The one mounted now: its device stays mapped (the merged /usr reads it)
  // until the refresh below has replaced the overlay.
  std::optional<node::DevNumber> old_dev;
  if (IsMountPoint(dir)) {
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0) return ErrnoError(errno, "stat", dir);
    old_dev = node::DevNumber{major(st.st_dev), minor(st.st_dev)};
    // Detached, not unmounted: the overlay on /usr keeps it until the refresh.
    if (umount2(dir.c_str(), MNT_DETACH) != 0) return ErrnoError(errno, "detaching", dir);
  }
  // A file fetched for this OS carries its record; activation holds the
  // mounted extension-release file to the booted OS whatever it says.
  if (auto text = ReadFileText(std::string(slot::kExtensionsDir) + "/" + RecordName(file), 4096);
      text.ok()) {
    if (auto c = ParseCompatibilityRecord(*text); c.ok()) f.compatibility = std::move(*c);
  }
  auto root =
      Activate(std::string(slot::kExtensionsDir) + "/" + file, f, trust, os_release, refused);
  if (!root.ok()) {
    // The old one goes back where it was: /usr never lost it (no refresh ran).
    if (old_dev) {
      std::error_code ec;
      fs::create_directories(dir, ec);
      const std::string dev = fmt::format("/dev/dm-{}", old_dev->minor);
      if (mount(dev.c_str(), dir.c_str(), "erofs", MS_RDONLY | MS_NODEV | MS_NOSUID, nullptr) != 0)
        ev.Emit("extensions-error", {{"message", fmt::format("extension {}: mounting {} again: {}",
                                                             name, dev, std::strerror(errno))}});
    }
    ev.Emit("extension-refused",
            {{"name", name}, {"file", file}, {"reason", root.error().ToString()}});
    return std::move(root).error();
  }
  now.root_hash = *root;
  // Recorded "pending" before the refresh: until it succeeds, the record
  // does not say the new version is merged, and the next run retries it.
  results = WithEntry(std::move(results), now);
  HULL_TRY(WriteExtensionsState(kExtensionsState, results));
  return MergeSwap(std::move(results), name, std::move(also_remove), ev);
}

int RunExtensions(const ExtensionsOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  auto cfg = node::LoadConfig();
  Events ev(cfg.ok() ? cfg->event_console : "");
  auto fail = [&](const Error& e) {
    ev.Emit("extensions-error", {{"message", e.ToString()}});
    std::fprintf(stderr, "hull-agent extensions: %s\n", e.ToString().c_str());
    return ExitCodeFor(e.code());
  };
  auto trust = slot::LoadTrustSet(node::kTrustDir);
  if (!trust.ok()) return fail(trust.error());
  auto os_release = ReadFileText("/usr/lib/os-release", 1 << 16);
  if (!os_release.ok()) return fail(os_release.error());
  const node::OsRelease os = node::ParseOsRelease(*os_release);
  std::vector<ExtensionResult> results;
  auto files = ListFiles(results);
  if (!files.ok()) return fail(files.error());
  // An earlier run of this boot mounted some: its record says which.
  const std::vector<ExtensionResult> previous = PreviousResults(ev);
  for (const auto& group : ActivationOrder(std::move(*files))) {
    if (IsMountPoint(std::string(slot::kSysextRunDir) + "/" + group.front().name)) {
      for (auto& r : MountedGroupResults(group, previous)) results.push_back(std::move(r));
      continue;
    }
    bool active = false;
    for (const ExtensionFile& f : group) {
      ExtensionResult r{.name = f.name, .file = f.file, .state = "standby"};
      // Fetched for another OS release (the previous one, kept for a
      // rollback until the bless, or the next one): not tried.
      if (auto other = KnownIncompatible(f, os); !active && other) {
        r.reason = "kept for another OS: " + *other;
      } else if (!active) {
        auto root =
            Activate(std::string(slot::kExtensionsDir) + "/" + f.file, f, *trust, *os_release);
        if (root.ok()) {
          r.state = "active";
          r.root_hash = *root;
          active = true;
          ev.Emit("extension-active", {{"name", f.name}, {"file", f.file}, {"root_hash", *root}});
        } else {
          r.state = "refused";
          r.reason = root.error().ToString();
          ev.Emit("extension-refused", {{"name", f.name}, {"file", f.file}, {"reason", r.reason}});
        }
      }
      results.push_back(std::move(r));
    }
  }
  Status merged = o.merge ? Merge(results) : Ok();
  // A swap's merge that an earlier run of this boot left pending is done now.
  std::vector<std::string> replaced;
  if (o.merge && merged.ok()) replaced = CompleteMerge(results);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (Status st = WriteExtensionsState(kExtensionsState, results); !st.ok())
    return fail(st.error());
  RemoveReplaced(replaced, ev);
  size_t refused = 0, active = 0;
  for (const auto& r : results) {
    refused += r.state == "refused";
    active += r.state == "active";
  }
  ev.Emit("extensions", {{"active", active}, {"refused", refused}, {"seconds", seconds}});
  if (o.json)
    std::printf("%s\n", ExtensionsJson(results).dump(2).c_str());
  else
    std::fputs(ExtensionsText(results).c_str(), stdout);
  if (!merged.ok()) return fail(std::move(merged).error().Wrap("merging"));
  return refused ? kExitFailed : kExitOk;
}

}  // namespace hull::agent
