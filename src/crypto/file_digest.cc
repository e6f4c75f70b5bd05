#include "crypto/file_digest.h"

#include <algorithm>

#include "base/file.h"

namespace hull::crypto {

Result<Bytes> DigestFile(DigestAlgorithm algorithm, const std::string& path) {
  HULL_ASSIGN_OR_RETURN(File f, File::OpenRead(path));
  HULL_ASSIGN_OR_RETURN(uint64_t size, f.Size());
  Hasher h(algorithm);
  Bytes buf(size_t(std::min<uint64_t>(size, 1 << 20)));
  for (uint64_t off = 0; off < size;) {
    size_t n = size_t(std::min<uint64_t>(buf.size(), size - off));
    HULL_TRY(f.ReadAt(off, MutableByteSpan(buf.data(), n)));
    h.Update(ByteSpan(buf.data(), n));
    off += n;
  }
  return h.Final();
}

}  // namespace hull::crypto
