#include "rootfs/modules.h"

#include <fmt/format.h>
#include <fnmatch.h>

#include <algorithm>
#include <filesystem>

#include "base/file.h"
#include "base/subprocess.h"

namespace hull::rootfs {
namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxModules = 100000;

std::string Underscored(std::string_view s) {
  std::string out(s);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

bool IsModuleFile(std::string_view name) {
  for (std::string_view ext : {".ko", ".ko.xz", ".ko.zst", ".ko.gz"}) {
    if (name.ends_with(ext)) return true;
  }
  return false;
}

}  // namespace

std::string ModuleName(std::string_view rel_path) {
  size_t slash = rel_path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? rel_path : rel_path.substr(slash + 1);
  size_t ko = base.find(".ko");
  return std::string(base.substr(0, ko));
}

bool ModuleMatches(std::string_view rel_path, const std::vector<std::string>& patterns) {
  const std::string path(rel_path);
  const std::string name = Underscored(ModuleName(rel_path));
  for (const auto& p : patterns) {
    if (p.find('/') != std::string::npos) {
      if (fnmatch(p.c_str(), path.c_str(), 0) == 0) return true;
    } else if (fnmatch(Underscored(p).c_str(), name.c_str(), 0) == 0) {
      return true;
    }
  }
  return false;
}

Result<ModuleDeps> ParseModulesDep(std::string_view text) {
  ModuleDeps deps;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return Errorf(ErrorCode::kCorrupt, "modules.dep: line without ':': '{}'", line);
    }
    if (deps.size() >= kMaxModules) {
      return Errorf(ErrorCode::kCorrupt, "modules.dep: more than {} modules", kMaxModules);
    }
    auto& list = deps[std::string(line.substr(0, colon))];
    std::string_view rest = line.substr(colon + 1);
    size_t i = 0;
    while (i < rest.size()) {
      size_t sp = rest.find(' ', i);
      std::string_view w = rest.substr(i, sp == std::string_view::npos ? sp : sp - i);
      i = sp == std::string_view::npos ? rest.size() : sp + 1;
      if (!w.empty()) list.emplace_back(w);
    }
  }
  return deps;
}

std::set<std::string> ModulesToKeep(const ModuleDeps& deps,
                                    const std::vector<std::string>& patterns) {
  std::set<std::string> keep;
  std::vector<std::string> todo;
  for (const auto& [path, _] : deps) {
    if (ModuleMatches(path, patterns)) todo.push_back(path);
  }
  while (!todo.empty()) {
    std::string m = std::move(todo.back());
    todo.pop_back();
    if (!keep.insert(m).second) continue;
    auto it = deps.find(m);
    if (it != deps.end()) {
      for (const auto& d : it->second) todo.push_back(d);
    }
  }
  return keep;
}

namespace {

Result<PruneReport> PruneKernel(const std::string& root, const std::string& kver,
                                const std::vector<std::string>& patterns) {
  const std::string dir = root + "/usr/lib/modules/" + kver;
  PruneReport rep;
  rep.kernel_version = kver;
  HULL_ASSIGN_OR_RETURN(std::string dep_text,
                        ReadFileText(dir + "/modules.dep", 64 << 20).Context("kernel " + kver));
  HULL_ASSIGN_OR_RETURN(ModuleDeps deps, ParseModulesDep(dep_text));
  std::set<std::string> keep = ModulesToKeep(deps, patterns);
  std::error_code ec;
  std::vector<fs::path> remove;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    std::string rel = fs::relative(it->path(), dir, ec).string();
    if (!IsModuleFile(rel)) continue;
    ++rep.modules_before;
    if (keep.count(rel)) continue;
    rep.bytes_removed += it->file_size(ec);
    remove.push_back(it->path());
  }
  if (ec) return Errorf(ErrorCode::kIo, "walking '{}': {}", dir, ec.message());
  for (const auto& p : remove) {
    if (!fs::remove(p, ec) || ec) return Errorf(ErrorCode::kIo, "removing '{}'", p.string());
  }
  rep.modules_kept = rep.modules_before - remove.size();
  auto r = Run(Command{.argv = {"depmod", "-b", root, kver},
                       .timeout = std::chrono::minutes(5),
                       .install_hint = "apt-get install kmod"});
  if (!r.ok()) return std::move(r).error().Wrap("depmod");
  return rep;
}

}  // namespace

Result<std::vector<PruneReport>> PruneModules(const std::string& root,
                                              const std::vector<std::string>& patterns) {
  std::vector<PruneReport> out;
  const std::string base = root + "/usr/lib/modules";
  std::error_code ec;
  if (!fs::is_directory(base, ec)) return out;
  std::vector<std::string> kernels;
  for (const auto& e : fs::directory_iterator(base, ec)) {
    if (e.is_directory() && fs::exists(e.path() / "modules.dep")) {
      kernels.push_back(e.path().filename().string());
    }
  }
  std::sort(kernels.begin(), kernels.end());
  for (const auto& k : kernels) {
    HULL_ASSIGN_OR_RETURN(PruneReport r, PruneKernel(root, k, patterns));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace hull::rootfs
