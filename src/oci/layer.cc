#include "oci/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <locale.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>

#include "base/file.h"
#include "oci/layout.h"

namespace hull::oci {
namespace fs = std::filesystem;

namespace {

// Fixed levels: part of what makes a layer's digest reproducible.
constexpr int kGzipLevel = 9;
constexpr int kZstdLevel = 19;
constexpr uint64_t kMaxLayerFile = uint64_t(4) << 30;

struct WriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

la_ssize_t AppendToBytes(archive*, void* ctx, const void* buf, size_t n) {
  auto* o = static_cast<Bytes*>(ctx);
  o->insert(o->end(), static_cast<const uint8_t*>(buf), static_cast<const uint8_t*>(buf) + n);
  return la_ssize_t(n);
}

std::string ArchiveError(archive* a) {
  const char* s = archive_error_string(a);
  return s ? s : "unknown libarchive error";
}

Status WriteEntry(archive* a, const LayerEntry& le, int64_t epoch) {
  std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
  archive_entry_set_pathname(e.get(), le.path.c_str());
  archive_entry_set_perm(e.get(), mode_t(le.mode & 07777));
  archive_entry_set_uid(e.get(), le.uid);
  archive_entry_set_gid(e.get(), le.gid);
  archive_entry_set_mtime(e.get(), std::min(le.mtime, epoch), 0);
  Bytes data;
  switch (le.type) {
    case LayerEntry::Type::kDir:
      archive_entry_set_filetype(e.get(), AE_IFDIR);
      break;
    case LayerEntry::Type::kSymlink:
      archive_entry_set_filetype(e.get(), AE_IFLNK);
      archive_entry_set_symlink(e.get(), le.link.c_str());
      break;
    case LayerEntry::Type::kHardlink:
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_hardlink(e.get(), le.link.c_str());
      archive_entry_set_size(e.get(), 0);
      break;
    case LayerEntry::Type::kFile:
      archive_entry_set_filetype(e.get(), AE_IFREG);
      if (!le.source.empty()) {
        HULL_ASSIGN_OR_RETURN(data, ReadFileBytes(le.source, kMaxLayerFile));
      } else {
        data = le.data;
      }
      archive_entry_set_size(e.get(), la_int64_t(data.size()));
      break;
  }
  if (archive_write_header(a, e.get()) != ARCHIVE_OK ||
      (!data.empty() &&
       archive_write_data(a, data.data(), data.size()) != la_ssize_t(data.size()))) {
    return Errorf(ErrorCode::kInternal, "libarchive: writing '{}': {}", le.path, ArchiveError(a));
  }
  return Ok();
}

}  // namespace

Result<Compression> ParseCompression(std::string_view name) {
  if (name == "gzip") return Compression::kGzip;
  if (name == "zstd") return Compression::kZstd;
  if (name == "none") return Compression::kNone;
  return Errorf(ErrorCode::kInvalidArgument,
                "unknown layer compression '{}' (allowed: gzip, zstd, none)", name);
}

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
    case Compression::kNone:
      break;
  }
  return "none";
}

std::string LayerMediaType(Compression c) {
  std::string t = "application/vnd.oci.image.layer.v1.tar";
  if (c == Compression::kGzip) t += "+gzip";
  if (c == Compression::kZstd) t += "+zstd";
  return t;
}

Result<std::vector<LayerEntry>> TreeEntries(const std::string& tree) {
  std::string root = tree;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  std::vector<std::string> paths;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    // A string suffix, not fs::relative: that resolves symlinks.
    paths.push_back(it->path().generic_string().substr(root.size() + 1));
  }
  if (ec) return Errorf(ErrorCode::kIo, "walking '{}': {}", root, ec.message());
  std::sort(paths.begin(), paths.end());
  std::vector<LayerEntry> out;
  std::map<std::pair<dev_t, ino_t>, std::string> first_name;
  for (const auto& rel : paths) {
    const std::string full = root + "/" + rel;
    struct stat st {};
    if (::lstat(full.c_str(), &st) != 0) return ErrnoError(errno, "lstat", full);
    LayerEntry e{.path = rel,
                 .mode = uint32_t(st.st_mode & 07777),
                 .uid = st.st_uid,
                 .gid = st.st_gid,
                 .mtime = st.st_mtim.tv_sec};
    if (S_ISDIR(st.st_mode)) {
      e.type = LayerEntry::Type::kDir;
    } else if (S_ISLNK(st.st_mode)) {
      e.type = LayerEntry::Type::kSymlink;
      e.link = fs::read_symlink(full, ec).string();
      if (ec) return Errorf(ErrorCode::kIo, "readlink '{}': {}", full, ec.message());
    } else if (S_ISREG(st.st_mode)) {
      auto [it, fresh] = first_name.emplace(std::make_pair(st.st_dev, st.st_ino), rel);
      if (st.st_nlink > 1 && !fresh) {
        e.type = LayerEntry::Type::kHardlink;
        e.link = it->second;
      } else {
        e.source = full;
      }
    } else {
      return Errorf(ErrorCode::kUnsupported,
                    "'{}' is a device, socket or fifo, which a layer does not hold", full);
    }
    out.push_back(std::move(e));
  }
  return out;
}

// libarchive converts names through the thread's locale; a "C" locale
// refuses the UTF-8 names Debian packages ship. C.UTF-8 (glibc's built-in)
// is set for this thread while a tar is written, and restored after.
class Utf8Locale {
 public:
  Utf8Locale() : utf8_(newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t(0))) {
    if (utf8_ != locale_t(0)) old_ = uselocale(utf8_);
  }
  ~Utf8Locale() {
    if (utf8_ == locale_t(0)) return;
    uselocale(old_);
    freelocale(utf8_);
  }
  Utf8Locale(const Utf8Locale&) = delete;
  Utf8Locale& operator=(const Utf8Locale&) = delete;

 private:
  locale_t utf8_;
  locale_t old_ = locale_t(0);
};

Result<Bytes> Tar(std::vector<LayerEntry> entries, int64_t epoch) {
  Utf8Locale utf8;
  std::sort(entries.begin(), entries.end(),
            [](const LayerEntry& a, const LayerEntry& b) { return a.path < b.path; });
  Bytes out;
  std::unique_ptr<archive, WriteFree> a(archive_write_new());
  // pax_restricted: plain ustar headers, with a pax extended header only
  // for what ustar cannot say (long names, large ids or sizes).
  archive_write_set_format_pax_restricted(a.get());
  archive_write_set_bytes_in_last_block(a.get(), 1);
  if (archive_write_open(a.get(), &out, nullptr, AppendToBytes, nullptr) != ARCHIVE_OK) {
    return Errorf(ErrorCode::kInternal, "libarchive: {}", ArchiveError(a.get()));
  }
  for (const auto& e : entries) HULL_TRY(WriteEntry(a.get(), e, epoch));
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return Errorf(ErrorCode::kInternal, "libarchive: closing: {}", ArchiveError(a.get()));
  }
  return out;
}

Result<Bytes> Gzip(ByteSpan data) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper whose header zlib fills with mtime 0,
  // no name and its fixed OS byte.
  if (deflateInit2(&z, kGzipLevel, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Error(ErrorCode::kInternal, "zlib: deflateInit2 failed");
  }
  Bytes out(deflateBound(&z, uLong(data.size())) + 64);
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = uInt(data.size());
  z.next_out = out.data();
  z.avail_out = uInt(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return Errorf(ErrorCode::kInternal, "zlib: deflate returned {}", rc);
  return out;
}

Result<Bytes> Zstd(ByteSpan data) {
  Bytes out(ZSTD_compressBound(data.size()));
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), kZstdLevel);
  if (ZSTD_isError(n)) return Errorf(ErrorCode::kInternal, "zstd: {}", ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

Result<Layer> MakeLayer(const Bytes& tar, Compression c) {
  Layer l{.media_type = LayerMediaType(c),
          .diff_id = Sha256Digest(tar),
          .uncompressed_size = tar.size()};
  switch (c) {
    case Compression::kGzip: {
      HULL_ASSIGN_OR_RETURN(l.blob, Gzip(tar));
      break;
    }
    case Compression::kZstd: {
      HULL_ASSIGN_OR_RETURN(l.blob, Zstd(tar));
      break;
    }
    case Compression::kNone:
      l.blob = tar;
      break;
  }
  return l;
}

}  // namespace hull::oci
