#include "customize/rebuild.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "customize/tree_path.h"
#include "node/config.h"
#include "spec/yaml_reader.h"

namespace hull::customize {

namespace {

bool Has(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// `rel` under `usr` when it is a regular file or a directory reached through
// no symbolic link.
Result<std::string> BaseCopy(const std::string& usr, const std::string& rel,
                             const std::string& what) {
  std::string path = usr;
  size_t i = 0;
  while (i <= rel.size()) {
    size_t j = rel.find('/', i);
    if (j == std::string::npos) j = rel.size();
    path += "/" + rel.substr(i, j - i);
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0)
      return Errorf(ErrorCode::kNotFound,
                    "{}: the base image has no copy of it at {} to rebuild from", what,
                    path.substr(usr.size()));
    if (S_ISLNK(st.st_mode))
      return Errorf(ErrorCode::kRefused,
                    "{}: {} in the base image is a symbolic link: the rebuild takes files only "
                    "from the image's own tree",
                    what, path.substr(usr.size()));
    if (j == rel.size() && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
      return Errorf(ErrorCode::kRefused, "{}: {} in the base image is not a file or directory",
                    what, path.substr(usr.size()));
    i = j + 1;
  }
  return path;
}

}  // namespace

Result<std::string> ReadRecordedSpec(const std::string& usr, const std::string& image) {
  const std::string record = std::string(node::kSpecRecord).substr(5);  // under /usr
  auto text = ReadTreeText(usr, record, spec::kMaxSpecBytes);
  if (!text.ok() && text.error().code() == ErrorCode::kNotFound)
    return Errorf(ErrorCode::kNotFound,
                  "{} records no spec ({}): it was built before hull build recorded its spec, "
                  "so it cannot be rebuilt; build it again with hull build",
                  image, node::kSpecRecord);
  return text;
}

Result<std::string> RewriteSpecPackages(std::string_view recorded, const std::string& name,
                                        const Packages& changes, int64_t build_time) {
  HULL_ASSIGN_OR_RETURN(spec::ImageSpec s,
                        spec::ParseSpec(recorded, {.filename = name, .build_time = build_time}));
  std::vector<std::string> packages = s.packages;
  for (const auto& r : changes.remove) {
    auto it = std::find(packages.begin(), packages.end(), r.name);
    if (it == packages.end())
      return Errorf(ErrorCode::kInvalidArgument,
                    "{}: package '{}' is not in the image's spec ({}), so it cannot be removed",
                    r.where, r.name, name);
    packages.erase(it);
  }
  for (const auto& in : changes.install)
    if (!Has(packages, in.name)) packages.push_back(in.name);
  // The document as the spec parser read it (the one YAML reader), emitted
  // again with the new list.
  HULL_ASSIGN_OR_RETURN(YAML::Node root, spec::YamlReader(name).Load(recorded));
  YAML::Emitter out;
  try {
    YAML::Node list(YAML::NodeType::Sequence);
    for (const auto& p : packages) list.push_back(p);
    root["packages"] = list;
    out << root;
  } catch (const YAML::Exception& e) {
    // Only an emitter fault gets here.
    return Errorf(ErrorCode::kInternal, "{}: re-emitting the spec: {}", name, e.what());
  }
  if (!out.good())
    return Errorf(ErrorCode::kInternal, "{}: re-emitting the spec: {}", name, out.GetLastError());
  std::string head = "# hull customize --rebuild:";
  for (const auto& in : changes.install) head += " +" + in.name;
  for (const auto& r : changes.remove) head += " -" + r.name;
  return head + "\n" + out.c_str() + "\n";
}

Status SourcesFromBase(spec::ImageSpec& s, const std::string& usr) {
  for (const auto& p : s.preload) {
    if (p.kind != spec::Preload::Kind::kPreset)
      return Errorf(ErrorCode::kRefused,
                    "the image's spec preloads '{}' from a host path, which the image does not "
                    "keep: rebuild it with hull build",
                    p.source);
  }
  for (size_t i = 0; i < s.files.size(); ++i) {
    auto& f = s.files[i];
    const std::string what = fmt::format("the spec's files[{}] ({})", i, f.dest);
    HULL_ASSIGN_OR_RETURN(std::string rel, UsrRelativePath(f.dest).Context(what));
    HULL_ASSIGN_OR_RETURN(f.source, BaseCopy(usr, rel, what));
  }
  if (!s.update.trusted_root.empty()) {
    HULL_ASSIGN_OR_RETURN(
        s.update.trusted_root,
        BaseCopy(usr, std::string(node::kFactoryRoot).substr(5), "the spec's update.trusted_root"));
  }
  return Ok();
}

}  // namespace hull::customize
