// Touching a file's pages through a map, where an I/O error is a SIGBUS.
//
// A read or write through a mapping of a file or block device that meets an
// I/O error (a bad sector, a file cut short under the map) raises SIGBUS
// instead of returning EIO. CatchSigbus runs `fn` with a SIGBUS handler armed
// for the calling thread only: a fault inside turns into kIo, one outside any
// guard keeps its default action (the program dies, as before). `fn` must
// own nothing with a destructor: a fault leaves it by siglongjmp.
#pragma once

#include <string_view>
#include <type_traits>

#include "base/result.h"

namespace hull {

Status CatchSigbusRaw(std::string_view what, void (*fn)(void*), void* ctx);

template <typename F>
Status CatchSigbus(std::string_view what, F&& fn) {
  using Fn = std::remove_reference_t<F>;
  return CatchSigbusRaw(
      what, [](void* c) { (*static_cast<Fn*>(c))(); }, &fn);
}

}  // namespace hull
