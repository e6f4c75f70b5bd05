// Disk image assembly: a Layout -> a GPT disk image, written sparsely.
//
// Placement: partitions in layout order, numbered 1..N, each starting on a
// 1 MiB boundary; a partition without a size takes its content's size rounded
// up to 1 MiB; the disk is 1 MiB + partitions + 1 MiB (whole MiB) unless the
// layout gives a size. UUIDs not given are derived from the layout's seed
// (DeriveUuid), so the same layout and contents give the same bytes.
//
// Output goes to a temp file in the destination directory, fsync'ed and
// renamed into place only when complete; any error leaves nothing behind.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "disk/layout.h"
#include "gpt/gpt.h"
#include "spec/spec.h"

namespace hull::disk {

// The image spec's output formats; spec::OutputName names them.
using spec::OutputFormat;
Result<OutputFormat> ParseOutputFormat(std::string_view name);  // raw|vhd|qcow2|vhdx

struct CreateOptions {
  std::string out;
  OutputFormat format = OutputFormat::kRaw;
  uint32_t sector_size = 0;  // 0 = the layout's, else 512
  int64_t source_date_epoch = 0;
  bool sha256 = false;  // also the output's SHA-256, hashed while it is synced
};

struct CreateResult {
  gpt::Table table;
  uint64_t virtual_size = 0;  // the disk as the guest sees it
  uint64_t file_size = 0;     // the output file (VHD adds its footer)
  uint64_t allocated = 0;     // bytes allocated on the host file system
  std::string sha256;         // hex, of the output file (CreateOptions::sha256)
};

// A version-4-shaped UUID from SHA-256("hull-disk-uuid\0" seed "\0" purpose).
Uuid DeriveUuid(std::string_view seed, std::string_view purpose);

// The GPT the layout gives (content files are only stat'ed). vfat
// content-dir partitions need their size given, so no image is built here.
Result<gpt::Table> PlanTable(const Layout& layout, uint32_t sector_size);

Result<CreateResult> CreateDisk(const Layout& layout, const CreateOptions& options);

// argv of `qemu-img convert` from a raw image to a qcow2/vhdx output (pure).
std::vector<std::string> QemuImgConvertArgv(const std::string& raw, const std::string& out,
                                            OutputFormat format);

// Copies `length` bytes of `src` from offset 0 to `dst` at `dst_offset`,
// skipping holes (SEEK_DATA/SEEK_HOLE) and all-zero 4 KiB blocks: the
// destination must read as zeros there already (freshly ftruncate'd).
// `on_final(offset)`, when given, is told after each piece that `dst` below
// `offset` is written (holes included).
Status CopySparse(const File& src, uint64_t length, File& dst, uint64_t dst_offset,
                  const std::function<void(uint64_t)>& on_final = {});
// The same for `length` bytes of `src` from `src_offset` (a partition of an
// image); kIo "source ends before ..." when `src` is shorter.
Status CopySparseAt(const File& src, uint64_t src_offset, uint64_t length, File& dst,
                    uint64_t dst_offset, const std::function<void(uint64_t)>& on_final = {});

}  // namespace hull::disk
