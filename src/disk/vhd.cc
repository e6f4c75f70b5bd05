#include "disk/vhd.h"

#include <algorithm>

namespace hull::disk {

Chs VhdGeometry(uint64_t size) {
  // Verbatim from the spec's appendix; all arithmetic on 512-byte sectors.
  uint64_t total = size / 512;
  uint64_t spt, heads, cth;
  total = std::min<uint64_t>(total, 65535ull * 16 * 255);
  if (total >= 65535ull * 16 * 63) {
    spt = 255;
    heads = 16;
    cth = total / spt;
  } else {
    spt = 17;
    cth = total / spt;
    heads = (cth + 1023) / 1024;
    if (heads < 4) heads = 4;
    if (cth >= heads * 1024 || heads > 16) {
      spt = 31;
      heads = 16;
      cth = total / spt;
    }
    if (cth >= heads * 1024) {
      spt = 63;
      heads = 16;
      cth = total / spt;
    }
  }
  return Chs{uint16_t(cth / heads), uint8_t(heads), uint8_t(spt)};
}

uint32_t VhdChecksum(ByteSpan footer) {
  uint32_t sum = 0;
  for (size_t i = 0; i < footer.size(); ++i)
    if (i < 64 || i >= 68) sum += footer[i];
  return ~sum;
}

Result<Bytes> VhdFooter(uint64_t size, int64_t unix_time, const Uuid& unique_id) {
  if (size == 0 || size % (1 << 20) != 0)
    return Errorf(ErrorCode::kInvalidArgument,
                  "VHD virtual size {} is not a whole number of MiB (Azure requires it)", size);
  if (unix_time < int64_t(kVhdEpochUnix) || unix_time - int64_t(kVhdEpochUnix) > 0xFFFFFFFFll)
    return Errorf(ErrorCode::kInvalidArgument,
                  "timestamp {} does not fit a VHD footer (2000-01-01 .. 2136)", unix_time);
  Bytes f(kVhdFooterSize, 0);
  std::copy_n("conectix", 8, f.begin());                            // off 0x00 cookie
  StoreBe32(&f[8], 0x00000002);                                     // off 0x08 features
  StoreBe32(&f[12], 0x00010000);                                    // off 0x0C version
  StoreBe64(&f[16], 0xFFFFFFFFFFFFFFFFull);                         // off 0x10 data offset
  StoreBe32(&f[24], uint32_t(unix_time - int64_t(kVhdEpochUnix)));  // off 0x18 timestamp
  std::copy_n("hull", 4, &f[28]);                                   // off 0x1C creator app
  StoreBe32(&f[32], 0x00010000);                                    // off 0x20 creator version
  std::copy_n("Wi2k", 4, &f[36]);                                   // off 0x24 creator host OS
  StoreBe64(&f[40], size);                                          // off 0x28 original size
  StoreBe64(&f[48], size);                                          // off 0x30 current size
  Chs g = VhdGeometry(size);
  StoreBe16(&f[56], g.cylinders);  // off 0x38 geometry
  f[58] = g.heads;
  f[59] = g.sectors;
  StoreBe32(&f[60], 2);                                                   // off 0x3C type: fixed
  std::copy(unique_id.bytes().begin(), unique_id.bytes().end(), &f[68]);  // off 0x44
  StoreBe32(&f[64], VhdChecksum(f));                                      // off 0x40 checksum
  return f;
}

}  // namespace hull::disk
