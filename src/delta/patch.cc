#include "delta/patch.h"

// ZSTD_getFrameHeader and the window limits are in the "experimental" section,
// exported by the shared libzstd 1.5 all the same.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <memory>

#include "base/file.h"
#include "base/sigbus.h"
#include "crypto/digest.h"

namespace hull::delta {
namespace {

constexpr size_t kIoChunk = 1u << 20;
constexpr uint64_t kMaxInput = uint64_t(1) << 31;

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

Error ZstdError(ErrorCode code, std::string_view what, size_t rc) {
  return Errorf(code, "{}: {}", what, ZSTD_getErrorName(rc));
}

// Maps a whole file; an empty file gives an empty span.
Result<MappedRegion> MapAll(const File& f, uint64_t size) {
  if (size == 0) return MappedRegion();
  return f.Map(0, size);
}

Status SetC(ZSTD_CCtx* c, ZSTD_cParameter p, int v, std::string_view what) {
  size_t rc = ZSTD_CCtx_setParameter(c, p, v);
  if (ZSTD_isError(rc)) return ZstdError(ErrorCode::kInvalidArgument, what, rc);
  return Ok();
}

Result<std::unique_ptr<ZSTD_CCtx, CCtxFree>> MakeCCtx(const PatchOptions& o, int window_log,
                                                      uint64_t new_size) {
  std::unique_ptr<ZSTD_CCtx, CCtxFree> c(ZSTD_createCCtx());
  if (!c) return Error(ErrorCode::kInternal, "ZSTD_createCCtx failed");
  if (o.level < 1 || o.level > ZSTD_maxCLevel()) {
    return Errorf(ErrorCode::kInvalidArgument, "level {} outside 1..{}", o.level, ZSTD_maxCLevel());
  }
  HULL_TRY(SetC(c.get(), ZSTD_c_compressionLevel, o.level, "level"));
  HULL_TRY(SetC(c.get(), ZSTD_c_windowLog, window_log, "window log"));
  HULL_TRY(SetC(c.get(), ZSTD_c_enableLongDistanceMatching, 1, "long distance matching"));
  HULL_TRY(SetC(c.get(), ZSTD_c_checksumFlag, 1, "checksum"));
  if (o.threads > 0) HULL_TRY(SetC(c.get(), ZSTD_c_nbWorkers, int(o.threads), "threads"));
  size_t rc = ZSTD_CCtx_setPledgedSrcSize(c.get(), new_size);
  if (ZSTD_isError(rc)) return ZstdError(ErrorCode::kInternal, "pledged size", rc);
  return c;
}

}  // namespace

int PatchWindowLog(uint64_t old_size, uint64_t new_size) {
  uint64_t m = std::max(old_size, new_size);
  int log = m == 0 ? 0 : int(std::bit_width(m - 1)) + 1;  // ceil(log2) + 1 for slack
  return std::clamp(log, ZSTD_WINDOWLOG_MIN, kMaxPatchWindowLog);
}

Result<PatchStats> MakePatch(const std::string& old_path, const std::string& new_path,
                             const std::string& patch_path, const PatchOptions& opts) {
  HULL_ASSIGN_OR_RETURN(File old_f, File::OpenRead(old_path));
  HULL_ASSIGN_OR_RETURN(File new_f, File::OpenRead(new_path));
  PatchStats st;
  HULL_ASSIGN_OR_RETURN(st.old_size, old_f.Size());
  HULL_ASSIGN_OR_RETURN(st.new_size, new_f.Size());
  if (st.old_size > kMaxInput || st.new_size > kMaxInput) {
    return Error(ErrorCode::kInvalidArgument, "inputs larger than 2 GiB are not supported");
  }
  st.window_log = PatchWindowLog(st.old_size, st.new_size);
  HULL_ASSIGN_OR_RETURN(auto cctx, MakeCCtx(opts, st.window_log, st.new_size));
  HULL_ASSIGN_OR_RETURN(MappedRegion old_map, MapAll(old_f, st.old_size).Context(old_path));
  ByteSpan old_bytes = old_map.bytes();
  size_t rc = ZSTD_CCtx_refPrefix(cctx.get(), old_bytes.data(), old_bytes.size());
  if (ZSTD_isError(rc)) return ZstdError(ErrorCode::kInternal, "referencing OLD", rc);

  // NEW is mapped and handed to zstd whole, as a stable input buffer: zstd
  // then reads it in place instead of copying it into a window-sized buffer
  // of its own (which, with a window over OLD, would be hundreds of MiB).
  HULL_ASSIGN_OR_RETURN(MappedRegion new_map, MapAll(new_f, st.new_size).Context(new_path));
  if (opts.threads == 0) HULL_TRY(SetC(cctx.get(), ZSTD_c_stableInBuffer, 1, "stable input"));
  HULL_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::Create(patch_path));
  Bytes out_buf(ZSTD_CStreamOutSize());
  uint64_t out_off = 0;
  ZSTD_inBuffer in{new_map.bytes().data(), new_map.bytes().size(), 0};
  for (;;) {
    ZSTD_outBuffer ob{out_buf.data(), out_buf.size(), 0};
    size_t left = ZSTD_compressStream2(cctx.get(), &ob, &in, ZSTD_e_end);
    if (ZSTD_isError(left)) return ZstdError(ErrorCode::kInternal, "compressing NEW", left);
    HULL_TRY(out.file().WriteAt(out_off, ByteSpan(out_buf.data(), ob.pos)));
    out_off += ob.pos;
    if (left == 0) break;
  }
  HULL_TRY(out.Commit());
  st.patch_size = out_off;
  return st;
}

namespace {

// Streams the patch through the decoder into `out` (exactly out.size()
// bytes: more is an error) and returns the count written.
Result<uint64_t> Decode(ZSTD_DCtx* d, const File& patch, uint64_t patch_size, WritableMap& out) {
  Bytes in_buf(kIoChunk);
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  uint64_t in_off = 0;
  size_t rc = 1;
  while (in_off < patch_size && rc != 0) {
    size_t n = size_t(std::min<uint64_t>(kIoChunk, patch_size - in_off));
    HULL_TRY(patch.ReadAt(in_off, MutableByteSpan(in_buf.data(), n)));
    in_off += n;
    ZSTD_inBuffer in{in_buf.data(), n, 0};
    while (in.pos < in.size && rc != 0) {
      // The decoder reads OLD and writes the output through maps.
      HULL_TRY(CatchSigbus("the patch's input or output",
                           [&] { rc = ZSTD_decompressStream(d, &ob, &in); }));
      if (ZSTD_getErrorCode(rc) == ZSTD_error_dstSize_tooSmall) {
        return Errorf(ErrorCode::kCorrupt, "patch output exceeds the expected {} bytes", ob.size);
      }
      if (ZSTD_isError(rc)) return ZstdError(ErrorCode::kCorrupt, "decoding patch", rc);
    }
    if (rc == 0 && (in.pos < in.size || in_off < patch_size)) {
      return Error(ErrorCode::kCorrupt, "trailing data after the zstd frame");
    }
  }
  if (rc != 0) return Error(ErrorCode::kCorrupt, "patch truncated: zstd frame incomplete");
  return uint64_t(ob.pos);
}

// Checks the frame header and returns the length the output must have.
Result<uint64_t> CheckHeader(const File& patch, uint64_t patch_size, const ApplyExpect& expect) {
  Bytes head(std::min<uint64_t>(patch_size, ZSTD_FRAMEHEADERSIZE_MAX));
  HULL_TRY(patch.ReadAt(0, head));
  ZSTD_frameHeader fh{};
  size_t rc = ZSTD_getFrameHeader(&fh, head.data(), head.size());
  if (ZSTD_isError(rc)) return ZstdError(ErrorCode::kCorrupt, "patch header", rc);
  if (rc != 0) return Error(ErrorCode::kCorrupt, "patch truncated: no complete zstd frame header");
  if (fh.frameType != ZSTD_frame) return Error(ErrorCode::kCorrupt, "patch is a skippable frame");
  bool known = fh.frameContentSize != ZSTD_CONTENTSIZE_UNKNOWN;
  if (!known && !expect.length) {
    return Error(ErrorCode::kInvalidArgument, "patch header has no content size: give the length");
  }
  if (known && expect.length && fh.frameContentSize != *expect.length) {
    return Errorf(ErrorCode::kCorrupt, "patch makes {} bytes, expected {}",
                  (unsigned long long)fh.frameContentSize, *expect.length);
  }
  if (fh.windowSize > (uint64_t(1) << kMaxPatchWindowLog)) {
    return Errorf(ErrorCode::kUnsupported, "patch window {} bytes exceeds 2^{}",
                  (unsigned long long)fh.windowSize, kMaxPatchWindowLog);
  }
  return known ? uint64_t(fh.frameContentSize) : *expect.length;
}

}  // namespace

Result<ApplyStats> ApplyPatchInto(const FileRange& old, const File& patch_f,
                                  const WritableRange& out, const ApplyExpect& expect) {
  if (expect.sha256.size() != 32) {
    return Error(ErrorCode::kInvalidArgument, "expected SHA-256 must be 32 bytes");
  }
  ApplyStats st;
  HULL_ASSIGN_OR_RETURN(st.patch_size, patch_f.Size());
  HULL_ASSIGN_OR_RETURN(uint64_t length,
                        CheckHeader(patch_f, st.patch_size, expect).Context(patch_f.path()));

  std::unique_ptr<ZSTD_DCtx, DCtxFree> d(ZSTD_createDCtx());
  if (!d) return Error(ErrorCode::kInternal, "ZSTD_createDCtx failed");
  // The window must reach over OLD; it need not exceed what the sizes imply.
  int wlog = PatchWindowLog(old.length, length) + 1;
  size_t rc =
      ZSTD_DCtx_setParameter(d.get(), ZSTD_d_windowLogMax, std::min(wlog, kMaxPatchWindowLog));
  if (ZSTD_isError(rc)) return ZstdError(ErrorCode::kInternal, "window limit", rc);
  MappedRegion old_map;
  if (old.length > 0) {
    HULL_ASSIGN_OR_RETURN(old_map, old.file->Map(old.offset, size_t(old.length)));
  }
  rc = ZSTD_DCtx_refPrefix(d.get(), old_map.bytes().data(), old_map.bytes().size());
  if (ZSTD_isError(rc)) return ZstdError(ErrorCode::kInternal, "referencing OLD", rc);
  // The decoder writes into the mapped output in place: its window is then
  // the output itself, in the page cache, instead of a heap buffer as large
  // as the image.
  rc = ZSTD_DCtx_setParameter(d.get(), ZSTD_d_stableOutBuffer, 1);
  if (ZSTD_isError(rc)) return ZstdError(ErrorCode::kInternal, "stable output", rc);

  HULL_ASSIGN_OR_RETURN(WritableMap map, WritableMap::Open(out, length));
  HULL_ASSIGN_OR_RETURN(st.out_size,
                        Decode(d.get(), patch_f, st.patch_size, map).Context(patch_f.path()));
  if (st.out_size != length) {
    return Errorf(ErrorCode::kCorrupt, "{}: patch made {} bytes, expected {}", patch_f.path(),
                  st.out_size, length);
  }
  crypto::Hasher h(crypto::DigestAlgorithm::kSha256);
  HULL_TRY(CatchSigbus("the patch's output", [&] { h.Update(ByteSpan(map.data(), map.size())); }));
  st.sha256 = h.Final();
  if (!ConstantTimeEqual(st.sha256, expect.sha256)) {
    return Errorf(ErrorCode::kVerifyFailed, "{}: result SHA-256 mismatch", patch_f.path());
  }
  HULL_TRY(map.Flush());
  return st;
}

Result<ApplyStats> ApplyPatch(const std::string& old_path, const std::string& patch_path,
                              const std::string& out_path, const ApplyExpect& expect) {
  HULL_ASSIGN_OR_RETURN(File old_f, File::OpenRead(old_path));
  HULL_ASSIGN_OR_RETURN(FileRange old, WholeFile(old_f));
  HULL_ASSIGN_OR_RETURN(File patch_f, File::OpenRead(patch_path));
  HULL_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::Create(out_path));
  WritableRange range{&out.file(), 0, UINT64_MAX};
  HULL_ASSIGN_OR_RETURN(ApplyStats st, ApplyPatchInto(old, patch_f, range, expect));
  HULL_TRY(out.Commit());
  return st;
}

}  // namespace hull::delta
