#include "rootfs/erofs.h"

#include <fmt/format.h>

#include <filesystem>

#include "base/file.h"
#include "base/subprocess.h"
#include "crypto/digest.h"

namespace hull::rootfs {

Uuid UsrFilesystemUuid(const std::string& name, const std::string& version) {
  std::string material = "hull-usr-erofs";
  material += '\0';
  material += name;
  material += '\0';
  material += version;
  Bytes d = crypto::Sha256(AsBytes(material));
  d.resize(16);
  d[6] = uint8_t((d[6] & 0x0f) | 0x80);  // version 8 (custom, RFC 9562 5.8)
  d[8] = uint8_t((d[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return Uuid::FromBytes(d);
}

std::vector<std::string> BuildMkfsErofsArgv(const ErofsOptions& o, const std::string& output) {
  std::vector<std::string> argv = {"mkfs.erofs", "--quiet", fmt::format("-T{}", o.timestamp),
                                   "-U" + o.uuid.ToString(), "--all-root"};
  if (o.lz4hc) argv.push_back("-zlz4hc");
  if (!o.file_contexts.empty()) argv.push_back("--file-contexts=" + o.file_contexts);
  argv.push_back(output);
  argv.push_back(o.source_dir);
  return argv;
}

Status PackErofs(const ErofsOptions& o) {
  namespace fs = std::filesystem;
  const std::string partial = o.output + ".partial";
  std::error_code ec;
  fs::remove(partial, ec);
  auto r = Run(Command{.argv = BuildMkfsErofsArgv(o, partial),
                       .env = {fmt::format("SOURCE_DATE_EPOCH={}", o.timestamp)},
                       .timeout = std::chrono::minutes(20),
                       .install_hint = "apt-get install erofs-utils"});
  if (!r.ok()) {
    fs::remove(partial, ec);
    return std::move(r).error().Wrap("packing " + o.source_dir);
  }
  fs::rename(partial, o.output, ec);
  if (ec) return Errorf(ErrorCode::kIo, "renaming '{}': {}", partial, ec.message());
  return Ok();
}

}  // namespace hull::rootfs
