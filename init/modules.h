// Kernel module dependency resolution from modules.dep / modules.builtin
// (the files depmod writes under /usr/lib/modules/$(uname -r)/).
//
// modules.dep: one line per module, "<path>: <dep path> <dep path> ...",
// paths relative to the modules directory. A module's name is its file name
// without ".ko" (and a compression suffix), with '-' read as '_' (as
// modprobe does: "dm-verity" and "dm_verity" are one module).
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hull::init {

inline constexpr size_t kMaxModuleDepth = 32;  // a cycle or absurd chain

std::string ModuleName(std::string_view path_or_name);

struct ModuleIndex {
  std::map<std::string, std::string> path;               // name -> relative path
  std::map<std::string, std::vector<std::string>> deps;  // name -> dep names
  std::set<std::string> builtin;                         // names built into the kernel
};

// kCorrupt "modules.dep line N: no ':'" for a malformed line.
Result<ModuleIndex> ParseModules(std::string_view modules_dep, std::string_view modules_builtin);

enum class Presence { kModule, kBuiltin, kAbsent };
Presence Find(const ModuleIndex& index, std::string_view name);

// The relative paths to load for `name`, dependencies first, each once
// (`loaded` names are skipped and extended). Empty for a built-in module.
// kNotFound "module X: not in modules.dep and not built in" (also for a
// missing dependency, naming it), kCorrupt "module X: dependency chain deeper
// than 32" for a cycle.
Result<std::vector<std::string>> LoadOrder(const ModuleIndex& index, std::string_view name,
                                           std::set<std::string>& loaded);

}  // namespace hull::init
