// Fuzzes what the slot library reads from an untrusted ESP and disk: boot
// entry names (ParseEntryName, CompareVersions, BootOrder), UKI .cmdline /
// .osrel (ReadUkiFacts) and the GPT with backup fallback (ReadRecovering).
// Any input must give a value or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gpt/gpt.h"
#include "slot/boot_count.h"
#include "slot/state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hull::slot;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string_view a = text.substr(0, text.size() / 2), b = text.substr(text.size() / 2);
  std::vector<EntryName> names;
  for (std::string_view s : {a, b}) {
    auto e = ParseEntryName(s);
    if (e.ok()) {
      (void)e->ToString();
      names.push_back(*e);
    }
  }
  (void)CompareVersions(a, b);
  (void)BootOrder(names);
  hull::ByteSpan bytes(data, size);
  (void)ReadUkiFacts(bytes);
  (void)hull::gpt::ReadRecovering(hull::gpt::MemorySource(bytes));
  return 0;
}
