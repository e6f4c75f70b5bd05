// hull delta make|apply, hull chunk split|assemble
#include <sys/resource.h>

#include <chrono>
#include <cstdio>

#include "base/file.h"
#include "base/hex.h"
#include "cli.h"
#include "delta/assemble.h"
#include "delta/chunk_index.h"
#include "delta/chunk_store.h"
#include "delta/patch.h"

namespace hull::cli {
namespace {

struct DeltaArgs {
  std::string old_path, new_path, patch, out, sha256;
  uint64_t size = 0;
  int level = 19;
  unsigned threads = 0;
  bool json = false;
};

struct ChunkArgs {
  std::string image, store, index, seed, out;
  int level = 19;
  uint32_t min_size = 16u << 10, avg_size = 64u << 10, max_size = 256u << 10;
  bool json = false;
};

// Peak resident set of this process, in bytes (Linux reports KiB).
uint64_t PeakRss() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return uint64_t(ru.ru_maxrss) * 1024;
}

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double Pct(uint64_t a, uint64_t b) { return b ? 100.0 * double(a) / double(b) : 0.0; }

int RunMake(const DeltaArgs& a) {
  auto t0 = std::chrono::steady_clock::now();
  auto r =
      delta::MakePatch(a.old_path, a.new_path, a.patch, {.level = a.level, .threads = a.threads});
  if (!r) return ReportError(std::move(r).error().Wrap("delta make"));
  double secs = Since(t0);
  if (a.json) {
    PrintJson({{"old_size", r->old_size},
               {"new_size", r->new_size},
               {"patch_size", r->patch_size},
               {"window_log", r->window_log},
               {"level", a.level},
               {"seconds", secs},
               {"peak_rss", PeakRss()}});
  } else {
    std::printf("patch %s: %llu bytes (%.2f%% of NEW's %llu), window 2^%d, level %d\n",
                a.patch.c_str(), (unsigned long long)r->patch_size, Pct(r->patch_size, r->new_size),
                (unsigned long long)r->new_size, r->window_log, a.level);
    std::printf("time %.2f s, peak RSS %.1f MiB\n", secs, double(PeakRss()) / (1 << 20));
  }
  return kExitOk;
}

int RunApply(const DeltaArgs& a) {
  auto t0 = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<delta::ApplyStats> {
    delta::ApplyExpect e;
    HULL_ASSIGN_OR_RETURN(e.sha256, HexDecode(a.sha256).Context("--sha256"));
    if (a.size) e.length = a.size;
    return delta::ApplyPatch(a.old_path, a.patch, a.out, e);
  };
  auto r = run();
  if (!r) return ReportError(std::move(r).error().Wrap("delta apply"));
  double secs = Since(t0);
  if (a.json) {
    PrintJson({{"out", a.out},
               {"size", r->out_size},
               {"patch_size", r->patch_size},
               {"sha256", HexEncode(r->sha256)},
               {"seconds", secs},
               {"peak_rss", PeakRss()}});
  } else {
    std::printf("%s: %llu bytes, SHA-256 %s verified\n", a.out.c_str(),
                (unsigned long long)r->out_size, HexEncode(r->sha256).c_str());
    std::printf("time %.2f s, peak RSS %.1f MiB\n", secs, double(PeakRss()) / (1 << 20));
  }
  return kExitOk;
}

int RunSplit(const ChunkArgs& a) {
  auto t0 = std::chrono::steady_clock::now();
  delta::SplitStats st;
  auto run = [&]() -> Status {
    delta::SplitOptions o{.params = {a.min_size, a.avg_size, a.max_size}, .level = a.level};
    HULL_ASSIGN_OR_RETURN(delta::ChunkIndex idx, delta::SplitImage(a.image, a.store, o, &st));
    HULL_ASSIGN_OR_RETURN(Bytes enc, delta::EncodeIndex(idx));
    return WriteFileAtomic(a.index, enc);
  };
  Status s = run();
  if (!s.ok()) return ReportError(std::move(s).error().Wrap("chunk split"));
  double secs = Since(t0);
  if (a.json) {
    PrintJson({{"chunks", st.chunks},
               {"unique_chunks", st.unique_chunks},
               {"new_chunks", st.new_chunks},
               {"new_bytes", st.new_bytes},
               {"stored_bytes", st.stored_bytes},
               {"seconds", secs},
               {"peak_rss", PeakRss()}});
  } else {
    std::printf(
        "%llu chunks (%llu distinct), %llu new in the store (%llu bytes); "
        "image stored as %llu bytes\n",
        (unsigned long long)st.chunks, (unsigned long long)st.unique_chunks,
        (unsigned long long)st.new_chunks, (unsigned long long)st.new_bytes,
        (unsigned long long)st.stored_bytes);
    std::printf("time %.2f s, peak RSS %.1f MiB\n", secs, double(PeakRss()) / (1 << 20));
  }
  return kExitOk;
}

int RunAssemble(const ChunkArgs& a) {
  auto t0 = std::chrono::steady_clock::now();
  auto run = [&]() -> Result<delta::AssembleStats> {
    HULL_ASSIGN_OR_RETURN(Bytes raw, ReadFileBytes(a.index, 64u << 20));
    HULL_ASSIGN_OR_RETURN(delta::ChunkIndex idx, delta::DecodeIndex(raw).Context(a.index));
    return delta::Assemble(idx, a.seed, delta::MakeChunkSource(a.store), a.out);
  };
  auto r = run();
  if (!r) return ReportError(std::move(r).error().Wrap("chunk assemble"));
  double secs = Since(t0);
  if (a.json) {
    PrintJson({{"chunks", r->chunks},
               {"from_seed_by_hash", r->from_seed_by_hash},
               {"from_seed_at_offset", r->from_seed_at_offset},
               {"from_output", r->from_output},
               {"fetched", r->fetched},
               {"bytes_fetched", r->bytes_fetched},
               {"bytes_from_seed", r->bytes_from_seed},
               {"sha256", HexEncode(r->sha256)},
               {"seconds", secs},
               {"peak_rss", PeakRss()}});
  } else {
    std::printf(
        "%s: %llu chunks: %llu from the seed (%llu by digest, %llu at the same offset), "
        "%llu repeated, %llu fetched (%llu bytes)\n",
        a.out.c_str(), (unsigned long long)r->chunks,
        (unsigned long long)(r->from_seed_by_hash + r->from_seed_at_offset),
        (unsigned long long)r->from_seed_by_hash, (unsigned long long)r->from_seed_at_offset,
        (unsigned long long)r->from_output, (unsigned long long)r->fetched,
        (unsigned long long)r->bytes_fetched);
    std::printf("SHA-256 %s verified; time %.2f s, peak RSS %.1f MiB\n",
                HexEncode(r->sha256).c_str(), secs, double(PeakRss()) / (1 << 20));
  }
  return kExitOk;
}

void AddChunkerOptions(CLI::App* c, ChunkArgs& a) {
  c->add_option("--min-size", a.min_size, "Minimum chunk size in bytes (default 16384)");
  c->add_option("--avg-size", a.avg_size, "Average chunk size, a power of two (default 65536)");
  c->add_option("--max-size", a.max_size, "Maximum chunk size in bytes (default 262144)");
}

void RegisterChunk(CLI::App& app, Context& ctx) {
  auto* chunk = app.add_subcommand(
      "chunk", "Content-defined chunks of images: a store and per-image indexes");
  chunk->require_subcommand(1);
  auto a = std::make_shared<ChunkArgs>();

  auto* split = chunk->add_subcommand("split", "Chunk IMAGE into a store and write its index");
  split->add_option("IMAGE", a->image, "The image to chunk")->required();
  split->add_option("--store", a->store, "Chunk store directory (created)")->required();
  split->add_option("--index", a->index, "The chunk index to write")->required();
  split->add_option("--level", a->level, "zstd level of each chunk, 1..22 (default 19)");
  AddChunkerOptions(split, *a);
  split->add_flag("--json", a->json, "Print the result as JSON");
  split->footer(
      "Example: hull chunk split usr.erofs --store repo --index usr.erofs.cidx\n"
      "Chunks are stored once each as repo/chunks/ab/<sha256>.zst.");
  split->callback([&ctx, a] { ctx.action = [a] { return RunSplit(*a); }; });

  auto* as = chunk->add_subcommand(
      "assemble", "Rebuild an image from its index, copying what the seed has, fetching the rest");
  as->add_option("INDEX", a->index, "The chunk index of the image")->required();
  as->add_option("--store", a->store, "Chunk store: a directory or an http(s):// URL")->required();
  as->add_option("--seed", a->seed, "A file with likely-shared content (the active slot)");
  as->add_option("--out", a->out, "The image to write (only when fully verified)")->required();
  as->add_flag("--json", a->json, "Print the result as JSON");
  as->footer(
      "Example: hull chunk assemble new.cidx --store https://repo/ --seed /dev/sda3 "
      "--out /dev/sda4\nEvery chunk and the whole image are checked against the index.");
  as->callback([&ctx, a] { ctx.action = [a] { return RunAssemble(*a); }; });
}

}  // namespace

void RegisterDelta(CLI::App& app, Context& ctx) {
  auto* delta = app.add_subcommand("delta", "Binary deltas between images (zstd --patch-from)");
  delta->require_subcommand(1);
  auto a = std::make_shared<DeltaArgs>();

  auto* mk = delta->add_subcommand("make", "Make PATCH that turns OLD into NEW");
  mk->add_option("OLD", a->old_path, "The image the node has")->required();
  mk->add_option("NEW", a->new_path, "The image to deliver")->required();
  mk->add_option("PATCH", a->patch, "The patch to write (a zstd frame)")->required();
  mk->add_option("--level", a->level, "zstd level 1..22 (default 19)");
  mk->add_option("--threads", a->threads, "zstd worker threads (default: single-threaded)");
  mk->add_flag("--json", a->json, "Print the result as JSON");
  mk->footer(
      "Example: hull delta make usr-1.erofs usr-2.erofs 1-to-2.zst\n"
      "The patch is a plain zstd frame: zstd -d --patch-from=OLD applies it too.");
  mk->callback([&ctx, a] { ctx.action = [a] { return RunMake(*a); }; });

  auto* ap = delta->add_subcommand("apply", "Apply PATCH to OLD, writing OUT only if verified");
  ap->add_option("OLD", a->old_path, "The image the patch was made against")->required();
  ap->add_option("PATCH", a->patch, "The patch")->required();
  ap->add_option("OUT", a->out, "The result (committed only when its SHA-256 matches)")->required();
  ap->add_option("--sha256", a->sha256, "Expected SHA-256 of the result (hex)")->required();
  ap->add_option("--size", a->size, "Expected size (default: the size in the patch header)");
  ap->add_flag("--json", a->json, "Print the result as JSON");
  ap->footer(
      "Example: hull delta apply usr-1.erofs 1-to-2.zst usr-2.erofs --sha256 $HEX\n"
      "Exit status: 0 applied and verified, 1 SHA-256 mismatch or a corrupt patch, 2 error.");
  ap->callback([&ctx, a] { ctx.action = [a] { return RunApply(*a); }; });

  RegisterChunk(app, ctx);
}

}  // namespace hull::cli
