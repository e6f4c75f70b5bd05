// The netboot file server's request-head parser (src/vm/file_server.h): the
// head comes from the guest's firmware over QEMU's user network. Any input
// must give a request or an error, never a crash; a parsed request has a
// non-empty method and target without spaces or control bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "vm/file_server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = hull::vm::ParseRequestHead(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!r.ok()) return 0;
  if (r->method.empty() || r->target.empty()) std::abort();
  for (char c : r->method + r->target)
    if (c <= ' ' || c > '~') std::abort();
  return 0;
}
