#include "container/sbom.h"

#include <algorithm>
#include <filesystem>

#include "base/file.h"
#include "rootfs/packages.h"
#include "rootfs/sbom.h"

namespace hull::container {
namespace fs = std::filesystem;

Result<Bytes> ImageSbom(const std::string& tree, const std::string& deb_dir,
                        const ContainerSpec& spec, const std::string& arch, int64_t created) {
  // The stanzas joined as one dpkg status file, read by the one status
  // reader (rootfs/packages.h) in a scratch root holding only that file
  // and the copyright files.
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(tree + "/var/lib/dpkg/status.d", ec)) {
    names.push_back(e.path().filename().string());
  }
  if (ec) return Errorf(ErrorCode::kIo, "reading status.d of '{}': {}", tree, ec.message());
  std::sort(names.begin(), names.end());
  std::string status;
  for (const auto& n : names) {
    HULL_ASSIGN_OR_RETURN(std::string stanza,
                          ReadFileText(tree + "/var/lib/dpkg/status.d/" + n, 1 << 20));
    status += stanza + "\n";
  }
  HULL_ASSIGN_OR_RETURN(TempDir root, TempDir::Create("hull-container-sbom"));
  fs::create_directories(root.path() + "/var/lib/dpkg", ec);
  HULL_TRY(WriteFileAtomic(root.path() + "/var/lib/dpkg/status", status));
  for (const auto& n : names) {
    const std::string copyright = "/usr/share/doc/" + n + "/copyright";
    if (!fs::is_regular_file(tree + copyright)) continue;
    fs::create_directories(root.path() + "/usr/share/doc/" + n, ec);
    fs::copy_file(tree + copyright, root.path() + copyright, ec);
  }
  HULL_ASSIGN_OR_RETURN(auto packages, rootfs::ReadPackages(root.path(), deb_dir));
  auto version = spec.annotations.find("org.opencontainers.image.version");
  nlohmann::json doc = rootfs::BuildSpdx(
      {.image_name = spec.name + "-" + arch,
       .image_version = version == spec.annotations.end() ? "unversioned" : version->second,
       .suite = spec.suite,
       .created = created},
      packages);
  std::string text = doc.dump();
  return Bytes(text.begin(), text.end());
}

}  // namespace hull::container
