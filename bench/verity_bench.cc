// Google Benchmark of the verity engine on a 256 MiB file in page cache,
// by thread count. `make bench` runs it next to the side-by-side script.
#include <benchmark/benchmark.h>

#include <optional>
#include <random>

#include "base/file.h"
#include "verity/tree.h"

namespace {

constexpr uint64_t kBytes = 256ull << 20;

const std::string& DataPath() {
  // The directory lives until exit and is removed then.
  static std::optional<hull::TempDir> dir;
  static std::string path = [] {
    dir.emplace(std::move(hull::TempDir::Create("hull-bench", "/var/tmp")).value());
    std::string p = dir->path() + "/data";
    hull::Bytes chunk(1 << 20);
    std::mt19937 rng(1);
    auto f = hull::File::CreateNew(p);
    for (uint64_t off = 0; off < kBytes; off += chunk.size()) {
      for (auto& b : chunk) b = uint8_t(rng());
      (void)f->WriteAt(off, chunk);
    }
    return p;
  }();
  return path;
}

void BM_FormatTree(benchmark::State& state) {
  auto data = hull::File::OpenRead(DataPath());
  std::string hash_path = DataPath() + ".hash";
  for (auto _ : state) {
    std::remove(hash_path.c_str());
    auto hash = hull::File::CreateNew(hash_path);
    auto r = hull::verity::FormatTree(*data, *hash, hull::verity::VerityParams{},
                                      {.threads = unsigned(state.range(0))});
    if (!r.ok()) state.SkipWithError(r.error().ToString().c_str());
  }
  state.SetBytesProcessed(int64_t(state.iterations() * kBytes));
}
BENCHMARK(BM_FormatTree)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
