#include "init/modules.h"

namespace hull::init {

std::string ModuleName(std::string_view p) {
  size_t slash = p.rfind('/');
  if (slash != std::string_view::npos) p = p.substr(slash + 1);
  for (std::string_view suffix : {".xz", ".zst", ".gz"})
    if (p.ends_with(suffix)) p.remove_suffix(suffix.size());
  if (p.ends_with(".ko")) p.remove_suffix(3);
  std::string name(p);
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

namespace {

std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

template <typename F>
Status ForEachLine(std::string_view text, F f) {
  size_t n = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++n;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    HULL_TRY(f(n, line));
  }
  return {};
}

}  // namespace

Result<ModuleIndex> ParseModules(std::string_view dep, std::string_view builtin) {
  ModuleIndex idx;
  HULL_TRY(ForEachLine(dep, [&](size_t n, std::string_view line) -> Status {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      return Errorf(ErrorCode::kCorrupt, "modules.dep line {}: no ':'", n);
    std::string name = ModuleName(line.substr(0, colon));
    idx.path[name] = std::string(line.substr(0, colon));
    auto& d = idx.deps[name];
    for (std::string_view w : Words(line.substr(colon + 1))) d.push_back(ModuleName(w));
    return {};
  }));
  HULL_TRY(ForEachLine(builtin, [&](size_t, std::string_view line) -> Status {
    idx.builtin.insert(ModuleName(line));
    return {};
  }));
  return idx;
}

Presence Find(const ModuleIndex& index, std::string_view name) {
  std::string n = ModuleName(name);
  if (index.path.count(n)) return Presence::kModule;
  if (index.builtin.count(n)) return Presence::kBuiltin;
  return Presence::kAbsent;
}

namespace {

Status Visit(const ModuleIndex& idx, const std::string& root, const std::string& name,
             std::set<std::string>& loaded, std::vector<std::string>& out, size_t depth) {
  if (loaded.count(name)) return {};
  if (depth > kMaxModuleDepth)
    return Errorf(ErrorCode::kCorrupt, "module {}: dependency chain deeper than {}", root,
                  kMaxModuleDepth);
  auto it = idx.path.find(name);
  if (it == idx.path.end()) {
    if (idx.builtin.count(name)) return {};
    return Errorf(ErrorCode::kNotFound, "module {}: not in modules.dep and not built in", name);
  }
  // modules.dep lists every transitive dependency; loading each one's own
  // dependencies first gives a valid order whatever order the line uses.
  for (const std::string& d : idx.deps.at(name))
    HULL_TRY(Visit(idx, root, d, loaded, out, depth + 1));
  if (loaded.insert(name).second) out.push_back(it->second);
  return {};
}

}  // namespace

Result<std::vector<std::string>> LoadOrder(const ModuleIndex& index, std::string_view name,
                                           std::set<std::string>& loaded) {
  std::vector<std::string> out;
  std::string root = ModuleName(name);
  HULL_TRY(Visit(index, root, root, loaded, out, 0));
  return out;
}

}  // namespace hull::init
