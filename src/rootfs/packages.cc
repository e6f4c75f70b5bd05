#include "rootfs/packages.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

#include "base/file.h"
#include "base/hex.h"
#include "crypto/digest.h"

namespace hull::rootfs {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Splits RFC 822-style text into paragraphs of (field, first-line value).
std::vector<std::map<std::string, std::string>> Paragraphs(std::string_view text) {
  std::vector<std::map<std::string, std::string>> out;
  std::map<std::string, std::string> cur;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (Trim(line).empty()) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t' || line[0] == '#') continue;  // continuation
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    cur.emplace(std::string(Trim(line.substr(0, colon))),
                std::string(Trim(line.substr(colon + 1))));
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace

Result<std::vector<PackageInfo>> ParseDpkgStatus(std::string_view text) {
  std::vector<PackageInfo> out;
  for (auto& p : Paragraphs(text)) {
    if (p["Status"] != "install ok installed") continue;
    if (out.size() >= kMaxPackages) {
      return Errorf(ErrorCode::kCorrupt, "dpkg status lists more than {} packages", kMaxPackages);
    }
    PackageInfo info;
    info.name = p["Package"];
    info.version = p["Version"];
    info.arch = p["Architecture"];
    if (info.name.empty() || info.version.empty() || info.arch.empty()) {
      return Errorf(ErrorCode::kCorrupt, "dpkg status: package '{}' lacks Version or Architecture",
                    info.name);
    }
    std::string src = p["Source"];
    info.source = info.name;
    info.source_version = info.version;
    if (!src.empty()) {
      size_t sp = src.find(" (");
      info.source = src.substr(0, sp);
      if (sp != std::string::npos && src.back() == ')') {
        info.source_version = src.substr(sp + 2, src.size() - sp - 3);
      }
    }
    info.installed_kib = std::strtoull(p["Installed-Size"].c_str(), nullptr, 10);
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(),
            [](const PackageInfo& a, const PackageInfo& b) { return a.name < b.name; });
  return out;
}

std::vector<std::string> Dep5Licenses(std::string_view copyright) {
  std::string_view first = copyright.substr(0, copyright.find('\n'));
  if (first.rfind("Format:", 0) != 0 ||
      first.find("copyright-format/1.0") == std::string_view::npos) {
    return {};
  }
  std::set<std::string> names;
  for (auto& p : Paragraphs(copyright)) {
    auto it = p.find("License");
    if (it != p.end() && !it->second.empty()) names.insert(it->second);
  }
  return {names.begin(), names.end()};
}

namespace {

// Debian's DEP-5 short names (copyright-format 1.0, "License specification")
// mapped to SPDX identifiers.
const std::map<std::string, std::string>& SpdxTable() {
  static const std::map<std::string, std::string> t = {
      {"apache-2.0", "Apache-2.0"},
      {"artistic", "Artistic-1.0-Perl"},
      {"bsd-2-clause", "BSD-2-Clause"},
      {"bsd-3-clause", "BSD-3-Clause"},
      {"bsd-4-clause", "BSD-4-Clause"},
      {"cc0-1.0", "CC0-1.0"},
      {"expat", "MIT"},
      {"mit", "MIT"},
      {"gpl", "GPL-1.0-or-later"},
      {"gpl-1", "GPL-1.0-only"},
      {"gpl-1+", "GPL-1.0-or-later"},
      {"gpl-2", "GPL-2.0-only"},
      {"gpl-2+", "GPL-2.0-or-later"},
      {"gpl-3", "GPL-3.0-only"},
      {"gpl-3+", "GPL-3.0-or-later"},
      {"lgpl-2", "LGPL-2.0-only"},
      {"lgpl-2+", "LGPL-2.0-or-later"},
      {"lgpl-2.1", "LGPL-2.1-only"},
      {"lgpl-2.1+", "LGPL-2.1-or-later"},
      {"lgpl-3", "LGPL-3.0-only"},
      {"lgpl-3+", "LGPL-3.0-or-later"},
      {"isc", "ISC"},
      {"zlib", "Zlib"},
      {"mpl-1.1", "MPL-1.1"},
      {"mpl-2.0", "MPL-2.0"},
      {"public-domain", "LicenseRef-public-domain"},
      {"openssl", "OpenSSL"},
      {"x11", "X11"},
      {"curl", "curl"},
      {"bsl-1.0", "BSL-1.0"},
      {"agpl-3+", "AGPL-3.0-or-later"},
      {"perl", "Artistic-1.0-Perl OR GPL-1.0-or-later"},
      {"python", "Python-2.0"},
      {"unicode-dfs-2016", "Unicode-DFS-2016"},
  };
  return t;
}

std::string SpdxId(std::string_view debian) {
  std::string lower;
  for (char c : debian) lower += char(std::tolower(static_cast<unsigned char>(c)));
  // "GPL-2.0+" and "GPL-2+" name the same license.
  if (auto p = lower.find(".0+"); p != std::string::npos && p + 3 == lower.size()) {
    lower.replace(p, 3, "+");
  }
  auto it = SpdxTable().find(lower);
  if (it != SpdxTable().end()) return it->second;
  std::string ref = "LicenseRef-";
  for (char c : debian) ref += (std::isalnum(static_cast<unsigned char>(c)) || c == '.') ? c : '-';
  return ref;
}

}  // namespace

std::string SpdxExpression(const std::vector<std::string>& debian_names) {
  std::set<std::string> terms;
  for (const auto& name : debian_names) {
    // A DEP-5 license field may itself be "A or B" / "A and B" / "A, B".
    std::string term, cur;
    auto flush = [&] {
      if (!cur.empty()) term += (term.empty() || term.back() == ' ' ? "" : " ") + SpdxId(cur);
      cur.clear();
    };
    size_t i = 0;
    while (i <= name.size()) {
      size_t sp = name.find_first_of(" ,", i);
      std::string word = name.substr(i, sp == std::string::npos ? sp : sp - i);
      i = sp == std::string::npos ? name.size() + 1 : sp + 1;
      if (word == "or" || word == "and") {
        flush();
        term += word == "or" ? " OR " : " AND ";
      } else if (!word.empty()) {
        if (!cur.empty()) cur += '-';
        cur += word;
      }
    }
    flush();
    if (term.ends_with(" ")) term = term.substr(0, term.find_last_not_of(' ') + 1);
    if (term.empty()) continue;
    bool compound = term.find(' ') != std::string::npos;
    terms.insert(compound ? "(" + term + ")" : term);
  }
  if (terms.empty()) return "NOASSERTION";
  std::string out;
  for (const auto& t : terms) out += (out.empty() ? "" : " AND ") + t;
  return out;
}

std::string DebFileName(const PackageInfo& p) {
  std::string v = p.version;
  for (size_t i; (i = v.find(':')) != std::string::npos;) v.replace(i, 1, "%3a");
  return fmt::format("{}_{}_{}.deb", p.name, v, p.arch);
}

Result<std::string> ReadTreeFile(const std::string& root, const std::string& path,
                                 uint64_t max_size) {
  int dir = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return ErrnoError(errno, "opening tree", root);
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, dir, path.c_str(), &how, sizeof(how));
  int err = errno;
  ::close(dir);
  if (fd < 0) return ErrnoError(err, "opening", root + "/" + path);
  File f = File::Adopt(int(fd), root + "/" + path);
  HULL_ASSIGN_OR_RETURN(uint64_t size, f.Size());
  if (size > max_size) {
    return Errorf(ErrorCode::kCorrupt, "'{}' is larger than {} bytes", f.path(), max_size);
  }
  std::string out(size, '\0');
  HULL_TRY(f.ReadAt(0, MutableByteSpan(reinterpret_cast<uint8_t*>(out.data()), out.size())));
  return out;
}

std::string DpkgListPath(const std::string& root, std::string_view pkg, std::string_view arch) {
  const std::string dir = root + "/var/lib/dpkg/info/";
  for (const std::string& path :
       {fmt::format("{}{}:{}.list", dir, pkg, arch), fmt::format("{}{}.list", dir, pkg)}) {
    struct stat st {};
    if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return path;
  }
  return "";
}

Result<std::vector<PackageInfo>> ReadPackages(const std::string& root,
                                              const std::string& deb_cache) {
  HULL_ASSIGN_OR_RETURN(std::string status,
                        ReadTreeFile(root, "var/lib/dpkg/status", kMaxStatusBytes));
  HULL_ASSIGN_OR_RETURN(auto pkgs, ParseDpkgStatus(status).Context("var/lib/dpkg/status"));
  for (auto& p : pkgs) {
    auto copyright = ReadTreeFile(root, "usr/share/doc/" + p.name + "/copyright", 8 << 20);
    if (copyright.ok()) p.licenses = Dep5Licenses(*copyright);
    p.license_spdx = SpdxExpression(p.licenses);
    p.deb_file = DebFileName(p);
    if (deb_cache.empty()) continue;
    auto deb = ReadFileBytes(deb_cache + "/" + p.deb_file, UINT64_C(4) << 30);
    if (deb.ok()) p.deb_sha256 = HexEncode(crypto::Sha256(*deb));
  }
  return pkgs;
}

}  // namespace hull::rootfs
