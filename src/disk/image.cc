#include "disk/image.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <optional>

#include "base/hex.h"
#include "base/subprocess.h"
#include "crypto/digest.h"
#include "crypto/file_digest.h"
#include "disk/vfat.h"
#include "disk/vhd.h"

namespace hull::disk {
namespace fs = std::filesystem;

Result<OutputFormat> ParseOutputFormat(std::string_view name) {
  for (OutputFormat f :
       {OutputFormat::kRaw, OutputFormat::kVhd, OutputFormat::kQcow2, OutputFormat::kVhdx}) {
    if (name == spec::OutputName(f)) return f;
  }
  return Errorf(ErrorCode::kInvalidArgument, "unknown format '{}' (allowed: raw, vhd, qcow2, vhdx)",
                name);
}

Uuid DeriveUuid(std::string_view seed, std::string_view purpose) {
  std::string msg = "hull-disk-uuid";
  msg.push_back('\0');
  msg.append(seed);
  msg.push_back('\0');
  msg.append(purpose);
  Bytes h = crypto::Sha256(AsBytes(msg));
  h[6] = uint8_t((h[6] & 0x0f) | 0x40);
  h[8] = uint8_t((h[8] & 0x3f) | 0x80);
  return Uuid::FromBytes(ByteSpan(h.data(), 16));
}

namespace {

uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

Result<uint64_t> ContentSize(const PartitionSpec& p) {
  std::error_code ec;
  uint64_t n = fs::file_size(p.content, ec);
  if (ec) return ErrnoError(ec.value(), "content", p.content);
  return n;
}

Result<uint64_t> PartitionBytes(const PartitionSpec& p, uint32_t ss) {
  uint64_t size = p.size;
  if (!p.content.empty()) {
    HULL_ASSIGN_OR_RETURN(uint64_t n, ContentSize(p));
    if (size == 0) size = AlignUp(std::max<uint64_t>(n, 1), kMiB);
    if (n > size)
      return Errorf(ErrorCode::kInvalidArgument,
                    "content '{}' ({} bytes) is larger than the "
                    "partition ({} bytes)",
                    p.content, n, size);
  }
  if (size % ss != 0)
    return Errorf(ErrorCode::kInvalidArgument, "size {} is not a multiple of the {}-byte sector",
                  size, ss);
  return size;
}

}  // namespace

Result<gpt::Table> PlanTable(const Layout& l, uint32_t ss) {
  std::vector<uint64_t> sizes;
  uint64_t end = kMiB;  // first partition at 1 MiB
  for (const auto& p : l.partitions) {
    uint64_t size = 0;
    if (!p.rest) {
      auto r = PartitionBytes(p, ss);
      if (!r.ok()) return std::move(r).error().Wrap(p.where);
      size = *r;
    }
    sizes.push_back(size);
    end = AlignUp(end, kMiB) + size;
  }
  uint64_t disk = l.size ? *l.size : AlignUp(end, kMiB) + kMiB;
  Uuid guid = l.disk_guid ? *l.disk_guid : DeriveUuid(l.seed, "disk");
  HULL_ASSIGN_OR_RETURN(gpt::Table t, gpt::NewTable(disk, ss, guid));
  uint64_t usable_end = (t.last_usable_lba + 1) * ss;
  if (AlignUp(end, kMiB) > usable_end && !(l.partitions.back().rest))
    return Errorf(ErrorCode::kInvalidArgument,
                  "partitions need {} bytes but the disk size {} leaves {} usable", end, disk,
                  usable_end);
  uint64_t off = 0;
  for (size_t i = 0; i < l.partitions.size(); ++i) {
    const PartitionSpec& p = l.partitions[i];
    off = AlignUp(i == 0 ? kMiB : off, kMiB);
    uint64_t size =
        p.rest ? (usable_end / kMiB * kMiB > off ? usable_end / kMiB * kMiB - off : 0) : sizes[i];
    if (size == 0 || off + size > usable_end)
      return Errorf(ErrorCode::kInvalidArgument,
                    "{}: no room for partition {} in a disk of {} "
                    "bytes",
                    p.where, i + 1, disk);
    gpt::Partition gp;
    gp.number = uint32_t(i + 1);
    gp.type = p.type;
    gp.uuid = p.uuid ? *p.uuid
                     : DeriveUuid(l.seed, fmt::format("partition:{}:{}:{}", i + 1,
                                                      p.type.ToString(), p.label));
    gp.first_lba = off / ss;
    gp.last_lba = (off + size) / ss - 1;
    gp.attributes = p.attributes;
    gp.name = p.label;
    t.partitions.push_back(std::move(gp));
    off += size;
  }
  if (auto st = gpt::Validate(t); !st.ok()) return std::move(st).error();
  return t;
}

Status CopySparse(const File& src, uint64_t length, File& dst, uint64_t dst_offset,
                  const std::function<void(uint64_t)>& on_final) {
  return CopySparseAt(src, 0, length, dst, dst_offset, on_final);
}

Status CopySparseAt(const File& src, uint64_t src_offset, uint64_t length, File& dst,
                    uint64_t dst_offset, const std::function<void(uint64_t)>& on_final) {
  constexpr size_t kChunk = 1 << 20, kBlock = 4096;
  uint64_t end = 0;
  if (!CheckedAdd(src_offset, length, &end))
    return Errorf(ErrorCode::kInvalidArgument, "copy range {}+{} overflows", src_offset, length);
  if (src_offset > 0) {
    HULL_ASSIGN_OR_RETURN(uint64_t size, src.Size());
    if (size < end) return Errorf(ErrorCode::kIo, "source ends before {} ({} bytes)", end, size);
  }
  Bytes buf(kChunk);
  uint64_t pos = 0;  // relative to src_offset
  while (pos < length) {
    off_t data = lseek(src.fd(), off_t(src_offset + pos), SEEK_DATA);
    if (data < 0 && errno == ENXIO) break;         // only a hole remains
    if (data < 0) data = off_t(src_offset + pos);  // no SEEK_DATA here: the rest is data
    if (uint64_t(data) >= end) break;
    off_t hole = lseek(src.fd(), data, SEEK_HOLE);
    uint64_t extent_end = std::min<uint64_t>(hole < 0 ? end : uint64_t(hole), end) - src_offset;
    for (pos = uint64_t(data) - src_offset; pos < extent_end;) {
      size_t n = size_t(std::min<uint64_t>(kChunk, extent_end - pos));
      HULL_TRY(src.ReadAt(src_offset + pos, MutableByteSpan(buf.data(), n)));
      for (size_t b = 0; b < n;) {  // write runs of non-zero blocks
        auto zero = [&](size_t at) {
          size_t e = std::min(at + kBlock, n);
          return std::all_of(&buf[at], &buf[0] + e, [](uint8_t c) { return c == 0; });
        };
        if (zero(b)) {
          b += kBlock;
          continue;
        }
        size_t run = b;
        while (run < n && !zero(run)) run += kBlock;
        run = std::min(run, n);
        HULL_TRY(dst.WriteAt(dst_offset + pos + b, ByteSpan(&buf[b], run - b)));
        b = run;
      }
      pos += n;
      if (on_final) on_final(dst_offset + pos);
    }
  }
  return Ok();
}

std::vector<std::string> QemuImgConvertArgv(const std::string& raw, const std::string& out,
                                            OutputFormat f) {
  std::vector<std::string> argv{"qemu-img", "convert", "-f", "raw", "-O", spec::OutputName(f)};
  if (f == OutputFormat::kVhdx) argv.insert(argv.end(), {"-o", "subformat=dynamic"});
  argv.insert(argv.end(), {raw, out});
  return argv;
}

namespace {

// Builds vfat images for content-dir partitions; returns content paths by index.
Result<std::vector<std::string>> PrepareContents(const Layout& l, const gpt::Table& t,
                                                 const std::string& tmp, int64_t epoch) {
  std::vector<std::string> paths;
  for (size_t i = 0; i < l.partitions.size(); ++i) {
    const PartitionSpec& p = l.partitions[i];
    if (p.content_dir.empty()) {
      paths.push_back(p.content);
      continue;
    }
    VfatOptions o;
    o.source_dir = p.content_dir;
    o.image_path = fmt::format("{}/part{}.vfat", tmp, i + 1);
    o.size = t.partitions[i].sectors() * t.sector_size;
    Uuid vid = DeriveUuid(l.seed, fmt::format("vfat:{}", i + 1));
    o.volume_id = p.volume_id ? *p.volume_id : LoadBe32(vid.bytes().data());
    o.label = p.label.size() <= 11 ? p.label : "";
    o.sector_size = t.sector_size;
    o.source_date_epoch = epoch;
    if (auto st = MakeVfat(o); !st.ok()) return std::move(st).error().Wrap(p.where);
    paths.push_back(o.image_path);
  }
  return paths;
}

// The GPT first, then the partitions front to back (PlanTable's order), so a
// FollowingDigest can hash everything below the partition being copied.
Status WriteRaw(File& out, const gpt::Table& t, const std::vector<std::string>& contents,
                crypto::FollowingDigest* follow) {
  HULL_TRY(out.Truncate(t.disk_sectors * t.sector_size));
  HULL_TRY(gpt::Write(out, t));
  std::function<void(uint64_t)> on_final;
  if (follow) on_final = [follow](uint64_t below) { follow->Advance(below); };
  for (size_t i = 0; i < contents.size(); ++i) {
    const gpt::Partition& p = t.partitions[i];
    if (on_final) on_final(p.first_lba * t.sector_size);
    if (contents[i].empty()) continue;
    HULL_ASSIGN_OR_RETURN(File src, File::OpenRead(contents[i]));
    HULL_ASSIGN_OR_RETURN(uint64_t n, src.Size());
    if (n > p.sectors() * t.sector_size)
      return Errorf(ErrorCode::kInvalidArgument,
                    "content '{}' ({} bytes) is larger than "
                    "partition {}",
                    contents[i], n, p.number);
    HULL_TRY(CopySparse(src, n, out, p.first_lba * t.sector_size, on_final));
  }
  return {};
}

Status Convert(const std::string& raw, const std::string& out, OutputFormat f) {
  auto r = Run(Command{.argv = QemuImgConvertArgv(raw, out, f),
                       .timeout = std::chrono::minutes(30),
                       .install_hint = "apt-get install qemu-utils"});
  if (!r.ok()) return std::move(r).error();
  return Ok();
}

}  // namespace

Result<CreateResult> CreateDisk(const Layout& l, const CreateOptions& o) {
  uint32_t ss = o.sector_size ? o.sector_size : l.sector_size ? l.sector_size : 512;
  HULL_ASSIGN_OR_RETURN(gpt::Table t, PlanTable(l, ss));
  CreateResult res;
  res.table = t;
  res.virtual_size = t.disk_sectors * ss;
  if (o.format == OutputFormat::kVhd && res.virtual_size % kMiB != 0)
    return Errorf(ErrorCode::kInvalidArgument,
                  "VHD virtual size {} is not a whole number of MiB (Azure requires it)",
                  res.virtual_size);
  HULL_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::Create(o.out, 0644));
  std::string dir = fs::path(out.temp_path()).parent_path().string();
  HULL_ASSIGN_OR_RETURN(TempDir tmp, TempDir::Create(".hull-disk", dir.empty() ? "." : dir));
  HULL_ASSIGN_OR_RETURN(auto contents, PrepareContents(l, t, tmp.path(), o.source_date_epoch));
  bool native = o.format == OutputFormat::kRaw || o.format == OutputFormat::kVhd;
  std::string raw_path = tmp.path() + "/disk.raw";
  File raw_file;
  if (!native) {
    HULL_ASSIGN_OR_RETURN(raw_file, File::CreateNew(raw_path));
  }
  File& raw = native ? out.file() : raw_file;
  // A native output is hashed as it is written; a converted one afterwards.
  std::optional<crypto::FollowingDigest> follow;
  if (o.sha256 && native) follow.emplace(crypto::DigestAlgorithm::kSha256, out.file());
  HULL_TRY(WriteRaw(raw, t, contents, follow ? &*follow : nullptr));
  if (o.format == OutputFormat::kVhd) {
    Uuid id = l.disk_guid ? DeriveUuid(t.disk_guid.ToString(), "vhd") : DeriveUuid(l.seed, "vhd");
    HULL_ASSIGN_OR_RETURN(Bytes footer, VhdFooter(res.virtual_size, o.source_date_epoch, id));
    HULL_TRY(raw.WriteAt(res.virtual_size, footer));
  }
  if (!native) {
    HULL_TRY(raw.Sync());
    HULL_TRY(Convert(raw_path, out.temp_path(), o.format));
  }
  if (o.sha256) {
    HULL_TRY(out.file().Sync());  // while the hashing catches up
    HULL_ASSIGN_OR_RETURN(uint64_t size, out.file().Size());
    Result<Bytes> d = follow
                          ? follow->Finish(size)
                          : crypto::DigestFile(crypto::DigestAlgorithm::kSha256, out.temp_path());
    if (!d.ok()) return std::move(d).error().Wrap("hashing " + o.out);
    res.sha256 = HexEncode(*d);
  }
  HULL_TRY(out.Commit());
  struct stat st {};
  if (stat(o.out.c_str(), &st) == 0) {
    res.file_size = uint64_t(st.st_size);
    res.allocated = uint64_t(st.st_blocks) * 512;
  }
  return res;
}

}  // namespace hull::disk
