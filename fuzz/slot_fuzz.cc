// Fuzzes what the slot library reads from an untrusted ESP and disk: UKI
// .cmdline / .osrel (ReadUkiFacts) and the GPT with backup fallback
// (ReadRecovering). Boot entry names are fuzzed with the node codecs
// (node_codecs_fuzz.cc).
// Any input must give a value or an error, never a crash.
#include <cstddef>
#include <cstdint>

#include "gpt/gpt.h"
#include "slot/state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hull::slot;
  hull::ByteSpan bytes(data, size);
  (void)ReadUkiFacts(bytes);
  (void)hull::gpt::ReadRecovering(hull::gpt::MemorySource(bytes));
  return 0;
}
