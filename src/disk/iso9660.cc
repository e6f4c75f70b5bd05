#include "disk/iso9660.h"

#include <time.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace hull::disk {
namespace {

// Blocks of the header, absolute.
constexpr uint32_t kPvdBlock = 16, kBootRecordBlock = 17, kTerminatorBlock = 18, kCatalogBlock = 19,
                   kRootBlock = 20, kLPathBlock = 21, kMPathBlock = 22;
static_assert(kMPathBlock == kIsoFirstDescriptorBlock + kIsoHeaderBlocks - 1);
constexpr uint32_t kPathTableBytes = 10;  // one entry: 8 + a 1-byte name + 1 pad
constexpr uint32_t kDirRecordBytes = 34;  // a record with a 1-byte name

// Both-byte orders (ECMA-119 §7.2.3, §7.3.3).
void Both16(uint8_t* p, uint16_t v) {
  StoreLe16(p, v);
  StoreBe16(p + 2, v);
}
void Both32(uint8_t* p, uint32_t v) {
  StoreLe32(p, v);
  StoreBe32(p + 4, v);
}

void Fill(uint8_t* p, size_t n, std::string_view s) {
  std::memset(p, ' ', n);
  std::memcpy(p, s.data(), std::min(n, s.size()));
}

void DescriptorHead(uint8_t* p, uint8_t type) {
  p[0] = type;  // off 0: volume descriptor type
  std::memcpy(p + 1, "CD001", 5);
  p[6] = 1;  // off 6: version
}

// §9.1.5: years since 1900, month, day, hour, minute, second, GMT offset.
void RecordingDate(uint8_t* p, const tm& t) {
  p[0] = uint8_t(t.tm_year);
  p[1] = uint8_t(t.tm_mon + 1);
  p[2] = uint8_t(t.tm_mday);
  p[3] = uint8_t(t.tm_hour);
  p[4] = uint8_t(t.tm_min);
  p[5] = uint8_t(t.tm_sec);
  p[6] = 0;
}

// §8.4.26.1: "YYYYMMDDHHMMSScc" digits and a GMT offset byte.
void VolumeDate(uint8_t* p, const tm* t) {
  if (!t) {
    std::memset(p, '0', 16);
    p[16] = 0;
    return;
  }
  std::string text = fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}00", t->tm_year + 1900,
                                 t->tm_mon + 1, t->tm_mday, t->tm_hour, t->tm_min, t->tm_sec);
  std::memcpy(p, text.data(), 16);
  p[16] = 0;
}

// A directory record of the root for "." (0x00) or ".." (0x01) (§9.1).
void RootRecord(uint8_t* p, uint8_t name, const tm& t) {
  p[0] = kDirRecordBytes;  // off 0: record length
  Both32(p + 2, kRootBlock);
  Both32(p + 10, kIsoBlock);  // data length: one block
  RecordingDate(p + 18, t);
  p[25] = 0x02;       // directory
  Both16(p + 28, 1);  // volume sequence number
  p[32] = 1;          // name length
  p[33] = name;
}

void PrimaryVolume(uint8_t* p, const IsoVolume& v, const tm& t) {
  DescriptorHead(p, 1);
  Fill(p + 8, 32, "");            // system identifier
  Fill(p + 40, 32, v.volume_id);  // volume identifier
  Both32(p + 80, uint32_t(v.total_blocks));
  Both16(p + 120, 1);  // volume set size
  Both16(p + 124, 1);  // volume sequence number
  Both16(p + 128, kIsoBlock);
  Both32(p + 132, kPathTableBytes);
  StoreLe32(p + 140, kLPathBlock);
  StoreBe32(p + 148, kMPathBlock);
  RootRecord(p + 156, 0x00, t);
  Fill(p + 190, 128, "");      // volume set
  Fill(p + 318, 128, "");      // publisher
  Fill(p + 446, 128, "");      // data preparer
  Fill(p + 574, 128, "HULL");  // application
  Fill(p + 702, 37, "");       // copyright file
  Fill(p + 739, 37, "");       // abstract file
  Fill(p + 776, 37, "");       // bibliographic file
  VolumeDate(p + 813, &t);     // creation
  VolumeDate(p + 830, &t);     // modification
  VolumeDate(p + 847, nullptr);
  VolumeDate(p + 864, nullptr);
  p[881] = 1;  // file structure version
}

// El Torito §2.0: the boot record volume descriptor.
void BootRecord(uint8_t* p) {
  DescriptorHead(p, 0);
  std::memcpy(p + 7, "EL TORITO SPECIFICATION", 23);  // zero padded to 32
  StoreLe32(p + 71, kCatalogBlock);
}

// El Torito §2.1-2.2: validation entry (platform EFI) and the default entry.
void BootCatalog(uint8_t* p, const IsoVolume& v) {
  p[0] = 1;     // header id
  p[1] = 0xEF;  // platform: EFI
  std::memcpy(p + 4, "HULL", 4);
  p[30] = 0x55;
  p[31] = 0xAA;
  uint16_t sum = 0;
  for (int i = 0; i < 32; i += 2) sum = uint16_t(sum + LoadLe16(p + i));
  StoreLe16(p + 28, uint16_t(-sum));  // the 16 words sum to zero
  uint8_t* e = p + 32;
  e[0] = 0x88;  // bootable
  e[1] = 0;     // no emulation
  StoreLe16(e + 6, ElToritoSectorCount(v.boot_bytes));
  StoreLe32(e + 8, v.boot_block);
}

void PathTable(uint8_t* p, bool big_endian) {
  p[0] = 1;  // name length
  if (big_endian) {
    StoreBe32(p + 2, kRootBlock);
    StoreBe16(p + 6, 1);
  } else {
    StoreLe32(p + 2, kRootBlock);
    StoreLe16(p + 6, 1);
  }
}

uint8_t* Block(Bytes& out, uint32_t block) {
  return out.data() + size_t(block - kIsoFirstDescriptorBlock) * kIsoBlock;
}

}  // namespace

uint16_t ElToritoSectorCount(uint64_t bytes) {
  return uint16_t(std::min<uint64_t>((bytes + 511) / 512, kElToritoMaxSectors));
}

std::string IsoVolumeId(std::string_view name) {
  std::string id;
  for (char c : name.substr(0, 32)) {
    if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
    bool d = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    id += d ? c : '_';
  }
  return id;
}

Result<Bytes> EncodeIsoHeader(const IsoVolume& v) {
  if (v.volume_id.size() > 32 || IsoVolumeId(v.volume_id) != v.volume_id)
    return Errorf(ErrorCode::kInvalidArgument,
                  "ISO volume id '{}' is not 1-32 characters of A-Z, 0-9 and _", v.volume_id);
  if (v.total_blocks > UINT32_MAX)
    return Errorf(ErrorCode::kInvalidArgument, "ISO volume of {} blocks exceeds 2^32",
                  v.total_blocks);
  if (v.boot_bytes == 0 || v.boot_block <= kMPathBlock ||
      v.boot_block + (v.boot_bytes + kIsoBlock - 1) / kIsoBlock > v.total_blocks)
    return Errorf(ErrorCode::kInvalidArgument,
                  "EFI boot image at block {} ({} bytes) is not inside the volume's {} blocks "
                  "after its header",
                  v.boot_block, v.boot_bytes, v.total_blocks);
  time_t secs = time_t(v.epoch);
  tm t{};
  if (!gmtime_r(&secs, &t) || t.tm_year < 0 || t.tm_year > 255)
    return Errorf(ErrorCode::kInvalidArgument, "time {} cannot be an ISO 9660 date", v.epoch);
  Bytes out(size_t(kIsoHeaderBlocks) * kIsoBlock, 0);
  PrimaryVolume(Block(out, kPvdBlock), v, t);
  BootRecord(Block(out, kBootRecordBlock));
  DescriptorHead(Block(out, kTerminatorBlock), 255);
  BootCatalog(Block(out, kCatalogBlock), v);
  RootRecord(Block(out, kRootBlock), 0x00, t);
  RootRecord(Block(out, kRootBlock) + kDirRecordBytes, 0x01, t);
  PathTable(Block(out, kLPathBlock), false);
  PathTable(Block(out, kMPathBlock), true);
  return out;
}

}  // namespace hull::disk
