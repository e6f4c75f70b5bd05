// Value checks for spec fields; each returns a positioned kInvalidArgument
// naming what is allowed.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "spec/yaml_reader.h"

namespace hull::spec {

using YNode = YAML::Node;

Status CheckImageName(const YamlReader& r, const YNode& n, const std::string& v);
Status CheckDebianName(const YamlReader& r, const YNode& n, const std::string& v,
                       std::string_view what);
Status CheckPackageName(const YamlReader& r, const YNode& n, const std::string& v);
Status CheckMirror(const YamlReader& r, const YNode& n, const std::string& v);
Status CheckCmdlineArg(const YamlReader& r, const YNode& n, const std::string& v);
Status CheckModulePattern(const YamlReader& r, const YNode& n, const std::string& v);
Status CheckFileDest(const YamlReader& r, const YNode& n, const std::string& v);
Status CheckUnitName(const YamlReader& r, const YNode& n, const std::string& v);
Status CheckUserName(const YamlReader& r, const YNode& n, const std::string& v);
Status CheckSshKey(const YamlReader& r, const YNode& n, const std::string& v);
// A full container image reference with a tag: HOST[:PORT]/PATH:TAG, the
// host holding a '.' or ':' or being localhost (what containerd and the
// kubelet name an image by).
Status CheckImageReference(const YamlReader& r, const YNode& n, const std::string& v);

}  // namespace hull::spec
