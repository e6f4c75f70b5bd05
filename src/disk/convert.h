// A disk image in any of Hull's formats (raw, fixed or dynamic VHD, qcow2,
// VHDX) read as the raw disk it holds, through `qemu-img convert`
// (qemu-utils) into a temporary raw file (docs/disk.md, "Reading other
// formats"). The format is told by the file's bytes, never its name; an
// image that would make qemu read another file of the host (a qcow2 backing
// file or external data file, a VHDX parent) is refused by name.
//
// VHD: qemu's vpc driver takes a VHD's size from its CHS geometry unless the
// footer's creator application is one it knows to use the footer's current
// size; Hull's fixed VHDs (creator "hull") would be read short. The size is
// always the footer's current size here (force_size_calc=current_size), and
// a fixed VHD must then hold exactly its file size minus the footer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "spec/spec.h"

namespace hull::disk {

// The format `head` (the file's first bytes, at least 8 when the file has
// them) and `tail` (its last 512 bytes) show: qcow2 ("QFI\xfb"), VHDX
// ("vhdxfile"), dynamic VHD ("conectix" at 0), fixed VHD ("conectix" in the
// last 512 bytes), else raw. Pure.
spec::OutputFormat DetectFormat(ByteSpan head, ByteSpan tail);
// The same for the file at `path`.
Result<spec::OutputFormat> DetectFileFormat(const std::string& path);

// argv of `qemu-img info --output=json` and of `qemu-img convert` to raw
// for `image` of `format` (not raw). Pure.
std::vector<std::string> QemuImgInfoArgv(const std::string& image, spec::OutputFormat format);
std::vector<std::string> QemuImgToRawArgv(const std::string& image, spec::OutputFormat format,
                                          const std::string& raw);

// What `qemu-img info --output=json` says of `image`, checked: the format
// qemu opened is `format`, no backing file (backing-filename), no external
// data file (format-specific data-file). Returns the virtual size.
// kRefused "IMAGE: a qcow2 image with a backing file ('x') ..." naming the
// file; kCorrupt for JSON without a virtual size.
Result<uint64_t> CheckQemuInfo(const std::string& image, spec::OutputFormat format,
                               std::string_view info_json);

struct RawImage {
  spec::OutputFormat format = spec::OutputFormat::kRaw;  // what the input was
  std::string path;           // the input itself when raw, else the converted copy
  uint64_t virtual_size = 0;  // bytes of the raw disk
};

// `image` as a raw disk: itself when raw, else converted to `raw_out` (which
// must not exist; written sparsely by qemu-img, removed on failure).
// Errors: DetectFileFormat's; CheckQemuInfo's; kCorrupt for a fixed VHD
// whose footer's size is not its file size minus 512, or a conversion of
// another size than qemu announced; Run's (kNotFound naming qemu-utils).
Result<RawImage> OpenAsRaw(const std::string& image, const std::string& raw_out);

}  // namespace hull::disk
