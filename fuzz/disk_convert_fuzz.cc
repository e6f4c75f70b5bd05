// The two judgements disk/convert.h makes on bytes from the input image:
// DetectFormat on the input's head and tail, and CheckQemuInfo on
// `qemu-img info` JSON (which carries names taken from the image, such as a
// backing file's). Invariants: no crash, no exception escapes; an accepted
// info is a JSON object without a backing file.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string_view>

#include "disk/convert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using hull::spec::OutputFormat;
  hull::ByteSpan all(data, size);
  (void)hull::disk::DetectFormat(all.first(std::min<size_t>(size, 8)),
                                 all.last(std::min<size_t>(size, 512)));
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (OutputFormat f : {OutputFormat::kVhd, OutputFormat::kQcow2, OutputFormat::kVhdx}) {
    if (!hull::disk::CheckQemuInfo("fuzz.img", f, text).ok()) continue;
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.contains("backing-filename") ||
        j.contains("full-backing-filename"))
      __builtin_trap();
  }
  return 0;
}
