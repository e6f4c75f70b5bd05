// Test inputs for the delta tests: "real-ish" bytes (the host's own
// binaries, concatenated in sorted order, so compressibility and structure
// are those of a real /usr), and an edited copy.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "base/file.h"

namespace hull::delta::testing {

// The first `n` bytes of the regular files under /usr/bin, sorted by name.
inline Bytes RealishData(size_t n) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator("/usr/bin")) {
    if (e.is_regular_file() && !e.is_symlink()) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  Bytes out;
  for (const auto& f : files) {
    auto b = ReadFileBytes(f, 64u << 20);
    if (!b.ok()) continue;
    out.insert(out.end(), b->begin(), b->end());
    if (out.size() >= n) break;
  }
  out.resize(n);
  return out;
}

// `old` with 3000 bytes inserted at 1/4, 4 KiB overwritten at 1/2 and
// 10 000 bytes removed at 3/4: edits of the kind a package change makes.
inline Bytes Edited(const Bytes& old) {
  Bytes b = old;
  size_t q = b.size() / 4;
  Bytes ins(3000);
  for (size_t i = 0; i < ins.size(); ++i) ins[i] = uint8_t(i * 7 + 1);
  b.insert(b.begin() + q, ins.begin(), ins.end());
  for (size_t i = 0; i < 4096; ++i) b[b.size() / 2 + i] ^= 0x5a;
  size_t t = b.size() * 3 / 4;
  b.erase(b.begin() + t, b.begin() + t + 10000);
  return b;
}

inline std::string Put(const std::string& dir, const std::string& name, ByteSpan data) {
  std::string p = dir + "/" + name;
  auto st = WriteFileAtomic(p, data);
  (void)st;
  return p;
}

}  // namespace hull::delta::testing
