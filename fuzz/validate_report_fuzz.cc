// The host's reader of the guest's console: the HULL-VALIDATE line and the
// judging of whatever JSON it holds (src/vm/report.h).
#include <cstddef>
#include <cstdint>
#include <string>

#include "vm/report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string console(reinterpret_cast<const char*>(data), size);
  auto r = hull::vm::ParseValidateLine(console);
  hull::vm::Expectations e;
  e.tpm = size % 2;
  e.secure_boot = size % 3;
  hull::vm::ExpectFromCmdline(console, e);
  if (r.ok()) (void)hull::vm::RenderTable(hull::vm::Judge(*r, e));
  return 0;
}
