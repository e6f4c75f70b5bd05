// hull-init's parsers of boot-time inputs: the kernel command line,
// modules.dep / modules.builtin (with dependency resolution), TPM responses,
// the root's ext4 superblock. (The EFI variables it reads are src/node's:
// node_codecs_fuzz.cc.)
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>

#include "init/cmdline.h"
#include "init/grow.h"
#include "init/modules.h"
#include "init/tpm.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)hull::init::ParseCmdline(text);
  size_t half = size / 2;
  auto idx = hull::init::ParseModules(text.substr(0, half), text.substr(half));
  if (idx.ok()) {
    std::set<std::string> loaded;
    for (const auto& [name, path] : idx->path) (void)hull::init::LoadOrder(*idx, name, loaded);
  }
  (void)hull::init::CheckResponse(hull::ByteSpan(data, size));
  if (auto sb = hull::init::DecodeExt4Size(hull::ByteSpan(data, size)); sb.ok())
    (void)hull::init::Ext4GrowTarget(*sb, size * uint64_t(1) << 20);
  return 0;
}
