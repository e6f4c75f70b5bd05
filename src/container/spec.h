// The container image spec (docs/containers.md): strict YAML naming the
// Debian packages to unpack, extra files, the user, entrypoint/cmd, env,
// labels and annotations, architectures and layer compression. The presets
// (`static`, `base`, `cc`, `python3`, each also as `NAME:debug`) are specs
// embedded in the binary from specs/containers/.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "oci/layer.h"

namespace hull::container {

inline constexpr size_t kMaxFileBytes = 16 << 20;  // a spec file's `content`/`source`

struct FileSpec {
  std::string path;     // absolute path in the image
  std::string content;  // text (when neither source nor symlink)
  std::string source;   // a host file, relative to the spec's directory
  std::string symlink;  // a symlink's target
  uint32_t mode = 0644;
  bool directory = false;  // `directory: true`: an empty directory
  uint32_t uid = 0;
  uint32_t gid = 0;
};

enum class User { kNonroot, kRoot };
inline constexpr uint32_t kNonrootId = 65532;  // the distroless convention

struct ContainerSpec {
  std::string name;  // the image's org.opencontainers.image.ref.name
  std::string suite = "bookworm";
  std::string mirror = "http://deb.debian.org/debian";
  std::vector<std::string> packages;
  std::vector<FileSpec> files;
  User user = User::kNonroot;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::string workdir;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> architectures{"amd64"};  // Debian names
  oci::Compression compression = oci::Compression::kGzip;
};

// Parses a spec; every error is "FILE:LINE:COL: ..." (kInvalidArgument).
Result<ContainerSpec> ParseContainerSpec(std::string_view text, const std::string& file);
// A preset by name ("static", "cc:debug", ...); kNotFound listing the names.
Result<ContainerSpec> Preset(std::string_view name);
std::vector<std::string> PresetNames();

// Debian architecture -> OCI platform (architecture, variant); kUnsupported
// for one with no OCI name.
Result<std::pair<std::string, std::string>> OciPlatform(std::string_view debian_arch);

}  // namespace hull::container
