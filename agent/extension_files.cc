#include "agent/extension_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "agent/environment.h"
#include "agent/extension_plan.h"
#include "base/file.h"
#include "base/hex.h"
#include "gpt/gpt.h"
#include "node/config.h"
#include "slot/extension.h"
#include "slot/trust.h"

namespace hull::agent {
namespace {

// Makes renames and removals in `dir` durable (best effort).
void SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// The agent's extension files and records in slot::kExtensionsDir.
Result<std::vector<ExtensionFile>> RecordedExtensions(const std::string& dir) {
  std::vector<ExtensionFile> files;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    auto f = ParseExtensionFileName(n);
    if (!f.ok()) continue;
    if (auto text = ReadFileText(dir + "/" + RecordName(n), 4096); text.ok()) {
      if (auto c = ParseCompatibilityRecord(*text); c.ok()) f->compatibility = std::move(*c);
    }
    files.push_back(std::move(*f));
    if (files.size() > slot::kMaxExtensions) break;
  }
  if (ec) return ErrnoError(ec.value(), "listing", dir);
  return files;
}

gpt::Arch ArchOf(const std::string& debian) {
  if (debian == "amd64") return gpt::Arch::kX86_64;
  if (debian == "arm64") return gpt::Arch::kArm64;
  return gpt::Arch::kAny;
}

// Downloads `e` to a hidden name beside its place (activation and the
// prune look at *.raw only), checks it, writes its record, renames it in.
Status FetchOne(const PublishedExtension& e, const std::string& dir, const slot::TrustSet& trust,
                const Node& node, tuf::Client& client, bool* refused) {
  const std::string part = dir + "/." + e.FileName() + ".part";
  ::unlink(part.c_str());
  HULL_TRY(client.FetchTargetTo(e.target, part).Context("fetching " + e.target));
  auto checked = [&]() -> Status {
    HULL_ASSIGN_OR_RETURN(File file, File::OpenRead(part));
    HULL_ASSIGN_OR_RETURN(gpt::FileSource src, gpt::FileSource::Open(file));
    HULL_ASSIGN_OR_RETURN(slot::ExtensionImage ext,
                          slot::VerifyExtensionImage(e.name, src, trust, ArchOf(node.arch)));
    HULL_TRY(slot::VerifyExtensionContent(file, ext));
    if (HexEncode(ext.root_hash) != e.root_hash)
      return Errorf(ErrorCode::kVerifyFailed,
                    "extension {}: the image's root hash {} is not the one the repository names "
                    "({})",
                    e.name, HexEncode(ext.root_hash), e.root_hash);
    return Ok();
  }();
  if (!checked.ok()) {
    if (refused) *refused = true;
    ::unlink(part.c_str());
    return std::move(checked).error().Wrap(e.target);
  }
  HULL_TRY(WriteFileAtomic(dir + "/" + RecordName(e.FileName()), CompatibilityRecord(e)));
  if (::rename(part.c_str(), (dir + "/" + e.FileName()).c_str()) != 0)
    return ErrnoError(errno, "renaming", part);
  SyncDirectory(dir);
  return Ok();
}

// The booted OS's os-release keys.
Result<node::OsRelease> BootedOs() {
  HULL_ASSIGN_OR_RETURN(std::string text, ReadFileText(Env().Path("/usr/lib/os-release"), 1 << 16));
  return node::ParseOsRelease(text);
}

}  // namespace

Status FetchExtension(const PublishedExtension& e, const Node& node, const std::string& version,
                      tuf::Client& client, const Events& ev, bool* refused) {
  if (refused) *refused = false;
  const std::string dir = Env().Path(slot::kExtensionsDir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Errorf(ErrorCode::kIo, "creating {}: {}", dir, ec.message());
  const bool there = std::filesystem::exists(dir + "/" + e.FileName(), ec) &&
                     std::filesystem::exists(dir + "/" + RecordName(e.FileName()), ec);
  if (there) return Ok();  // fetched before; activation verifies it again
  HULL_ASSIGN_OR_RETURN(slot::TrustSet trust, slot::LoadTrustSet(Env().Path(node::kTrustDir)));
  HULL_TRY(FetchOne(e, dir, trust, node, client, refused));
  ev.Emit("extension-fetched",
          {{"name", e.name}, {"file", e.FileName()}, {"for", version}, {"root_hash", e.root_hash}});
  return Ok();
}

Result<std::vector<std::string>> FetchExtensionsFor(const std::vector<std::string>& wanted,
                                                    const Node& node, const std::string& version,
                                                    tuf::Client& client, const Events& ev,
                                                    const slot::SlotRelease* release) {
  HULL_ASSIGN_OR_RETURN(node::OsRelease booted, BootedOs());
  HULL_ASSIGN_OR_RETURN(std::vector<PublishedExtension> published,
                        PublishedExtensionsFor(client.targets().targets, wanted));
  std::optional<std::string> level;
  if (release) {
    const auto& targets = client.targets().targets;
    auto usr = release->targets.find("usr");
    auto t = usr == release->targets.end() ? targets.end() : targets.find(usr->second);
    if (t != targets.end()) {
      HULL_ASSIGN_OR_RETURN(level, ReleaseSysextLevel(t->second.custom, t->first));
    }
  }
  HULL_ASSIGN_OR_RETURN(
      std::vector<PublishedExtension> plan,
      PlanExtensions(wanted, published, ReleaseOsKeys(booted, version, level), node.arch, version));
  std::vector<std::string> files;
  for (const PublishedExtension& e : plan) {
    files.push_back(e.FileName());
    HULL_TRY(FetchExtension(e, node, version, client, ev));
  }
  return files;
}

Result<std::vector<ExtensionUpdate>> ExtensionUpdatesFor(
    const std::vector<std::string>& wanted, const Node& node, tuf::Client& client,
    const std::vector<ExtensionResult>& current) {
  HULL_ASSIGN_OR_RETURN(node::OsRelease booted, BootedOs());
  HULL_ASSIGN_OR_RETURN(std::vector<PublishedExtension> published,
                        PublishedExtensionsFor(client.targets().targets, wanted));
  return PlanExtensionUpdates(wanted, published, booted, node.arch, current);
}

Status RemoveExtensionFile(const std::string& file) {
  const std::string dir = Env().Path(slot::kExtensionsDir);
  std::error_code ec;
  if (!std::filesystem::exists(dir + "/" + RecordName(file), ec)) return Ok();  // not the agent's
  for (const std::string& f : {file, RecordName(file)})
    if (::unlink((dir + "/" + f).c_str()) != 0 && errno != ENOENT)
      return ErrnoError(errno, "removing", dir + "/" + f);
  SyncDirectory(dir);
  return Ok();
}

// After the bless: the extension files fetched for another OS go, the image
// before its record (a record left by a power loss in between names no
// image and is removed by the next run).
Status PruneExtensions(const Events& ev, const std::string& running) {
  const std::string dir = Env().Path(slot::kExtensionsDir);
  HULL_ASSIGN_OR_RETURN(node::OsRelease booted, BootedOs());
  HULL_ASSIGN_OR_RETURN(std::vector<ExtensionFile> files, RecordedExtensions(dir));
  std::vector<std::string> removed;
  for (const std::string& f : FilesToPrune(files, booted)) {
    if (::unlink((dir + "/" + f).c_str()) != 0 && errno != ENOENT)
      return ErrnoError(errno, "removing", dir + "/" + f);
    removed.push_back(f);
  }
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (e.path().extension() != ".json") continue;
    const std::string raw = n.substr(0, n.size() - 5) + ".raw";
    if (!std::filesystem::exists(dir + "/" + raw, ec) && ::unlink(e.path().c_str()) == 0)
      removed.push_back(n);
  }
  if (!removed.empty()) {
    SyncDirectory(dir);
    ev.Emit("extensions-pruned", {{"removed", removed}, {"running", running}});
  }
  return Ok();
}

}  // namespace hull::agent
