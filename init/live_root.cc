#include "init/live_root.h"

#include <algorithm>
#include <charconv>

#include "base/hex.h"
#include "node/medium.h"
#include "node/usrhash.h"

namespace hull::init {

Result<uint64_t> ParseMemTotal(std::string_view meminfo) {
  constexpr std::string_view kKey = "MemTotal:";
  for (size_t pos = 0; pos < meminfo.size();) {
    size_t nl = meminfo.find('\n', pos);
    if (nl == std::string_view::npos) nl = meminfo.size();
    std::string_view line = meminfo.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.starts_with(kKey)) continue;
    line.remove_prefix(kKey.size());
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    uint64_t kib = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), kib);
    std::string_view unit(end, size_t(line.data() + line.size() - end));
    if (ec != std::errc() || unit != " kB" || kib > UINT64_MAX / 1024)
      return Errorf(ErrorCode::kCorrupt, "/proc/meminfo: malformed MemTotal line '{}'", line);
    return kib * 1024;
  }
  return Error(ErrorCode::kCorrupt, "/proc/meminfo has no MemTotal line");
}

Result<uint64_t> LiveRootBytes(uint64_t template_bytes, uint64_t mem_total_bytes) {
  const uint64_t cap = mem_total_bytes / kLiveRootMemoryShare;
  if (template_bytes > cap)
    return Errorf(ErrorCode::kRefused,
                  "the live root template ({} MiB) is larger than 1/{} of memory ({} MiB): give "
                  "the machine more memory or install to a disk",
                  template_bytes >> 20, kLiveRootMemoryShare, mem_total_bytes >> 20);
  return std::min(std::max(template_bytes, kLiveRootBytes), cap);
}

Status CheckRootTemplate(ByteSpan expected, ByteSpan actual) {
  if (expected.empty())
    return Errorf(ErrorCode::kRefused,
                  "{}= missing from the kernel command line: the UKI names no digest of the "
                  "install medium's root template, so a live boot is refused (make the medium "
                  "from an image built with this Hull)",
                  node::kRootTemplateOption);
  if (!actual.empty() &&
      !std::equal(expected.begin(), expected.end(), actual.begin(), actual.end()))
    return Errorf(ErrorCode::kVerifyFailed,
                  "the install medium's root template ({}) has SHA-256 {}, the signed command "
                  "line's {}= says {}: the medium was altered; write it again from the image",
                  node::kMediumRootLabel, HexEncode(actual), node::kRootTemplateOption,
                  HexEncode(expected));
  return {};
}

}  // namespace hull::init
