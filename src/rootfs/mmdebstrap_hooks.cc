#include "rootfs/mmdebstrap_hooks.h"

#include <string_view>

#include "base/subprocess.h"

namespace hull::rootfs {
namespace {

struct PathFilter {
  bool include;
  std::string glob;  // absolute, as dpkg matches it ("/usr/share/man/*")
};

std::vector<PathFilter> ParsedFilters() {
  std::vector<PathFilter> out;
  for (std::string_view f : kDpkgPathFilters) {
    const bool include = f.starts_with("path-include=");
    out.push_back({include, std::string(f.substr(f.find('=') + 1))});
  }
  return out;
}

// The glob's characters before its first wildcard.
std::string LiteralPrefix(const std::string& glob) {
  return glob.substr(0, glob.find_first_of("*?[\\"));
}

// find(1) matches "./usr/...": the tree's paths relative to "$1".
std::string Rel(const std::string& glob) { return "." + glob; }

}  // namespace

std::string PathFilterSetupHook() {
  std::vector<std::string> argv = {"printf", "%s\\n"};
  for (const char* f : kDpkgPathFilters) argv.push_back(f);
  return "mkdir -p \"$1\"/etc/dpkg/dpkg.cfg.d && " + ShellQuote(argv) +
         " > \"$1\"/etc/dpkg/dpkg.cfg.d/hull-path-filters";
}

std::string PathFilterPruneHook() {
  const auto filters = ParsedFilters();
  // Excluded: some exclude pattern matches and no include after it does
  // (dpkg: the last matching filter decides).
  std::vector<std::string> expr = {"("};
  std::string start;  // the directory every pattern lies below
  bool first = true;
  for (size_t i = 0; i < filters.size(); ++i) {
    std::string dir = LiteralPrefix(filters[i].glob);
    dir = dir.substr(0, dir.rfind('/'));
    if (i == 0) start = dir;
    while (!dir.starts_with(start) || (dir.size() > start.size() && dir[start.size()] != '/')) {
      start = start.substr(0, start.rfind('/'));
    }
    if (filters[i].include) continue;
    if (!first) expr.push_back("-o");
    first = false;
    expr.insert(expr.end(), {"(", "-path", Rel(filters[i].glob)});
    for (size_t j = i + 1; j < filters.size(); ++j) {
      if (filters[j].include) expr.insert(expr.end(), {"!", "-path", Rel(filters[j].glob)});
    }
    expr.push_back(")");
  }
  expr.push_back(")");
  // ... except a directory or symlink below an include pattern's literal
  // prefix; and a directory only once empty (its children come first).
  expr.insert(expr.end(), {"!", "(", "(", "-type", "d", "-o", "-type", "l", ")", "("});
  first = true;
  for (const auto& f : filters) {
    if (!f.include) continue;
    std::string prefix = LiteralPrefix(f.glob);
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    if (!first) expr.push_back("-o");
    first = false;
    expr.insert(expr.end(), {"-path", Rel(prefix) + "*"});
  }
  expr.insert(expr.end(), {")", ")", "(", "!", "-type", "d", "-o", "-empty", ")", "-delete"});
  const std::string dir = Rel(start);
  return "cd \"$1\" && if [ -d " + ShellQuote({dir}) + " ]; then find " + ShellQuote({dir}) + " " +
         ShellQuote(expr) + "; fi";
}

std::string DivertHook(const ProgramDiversion& d) {
  const std::string target = "\"$1\"" + ShellQuote({d.path});
  return "chroot \"$1\" dpkg-divert --quiet --local --rename --divert " +
         ShellQuote({d.path + ".hull"}) + " --add " + ShellQuote({d.path}) + " && printf %s " +
         ShellQuote({d.stand_in}) + " > " + target + " && chmod 755 " + target;
}

std::string RestoreHook(const ProgramDiversion& d) {
  return "rm \"$1\"" + ShellQuote({d.path}) +
         " && chroot \"$1\" dpkg-divert --quiet --local --rename --remove " + ShellQuote({d.path});
}

std::string PolicyModuleHook() {
  return "if [ -d \"$1\"/etc/selinux/default ] && [ -x \"$1\"/usr/sbin/semodule ]; then "
         "printf %s " +
         ShellQuote({std::string(HullPolicyModule())}) +
         " > \"$1\"/tmp/hull.cil && chroot \"$1\" /usr/sbin/semodule -n -i /tmp/hull.cil && "
         "rm \"$1\"/tmp/hull.cil; fi";
}

std::vector<ProgramDiversion> ComposeDiversions() {
  return {
      {"/usr/sbin/update-initramfs",
       "#!/bin/sh\n"
       "# Hull compose: no initramfs (Hull builds its own initrd).\n"
       "exit 0\n"},
      {"/usr/sbin/semodule",
       "#!/bin/sh\n"
       "# Hull compose: the module store (under /var, not kept) uncompressed.\n"
       "c=/etc/selinux/semanage.conf\n"
       "if [ -f \"$c\" ]; then cp -p \"$c\" \"$c.hull\" && echo bzip-blocksize=0 >> \"$c\"; fi\n"
       "/usr/sbin/semodule.hull \"$@\"\n"
       "r=$?\n"
       "if [ -f \"$c.hull\" ]; then mv \"$c.hull\" \"$c\"; fi\n"
       "exit $r\n"},
  };
}

}  // namespace hull::rootfs
