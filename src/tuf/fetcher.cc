#include "tuf/fetcher.h"

#include <algorithm>

#include "base/file.h"
#include "http/client.h"
#include "tuf/target_name.h"

namespace hull::tuf {
namespace {

// Directory reads go to the sink in pieces of this size.
constexpr uint64_t kDirPiece = 1 << 20;

Error TooLong(const std::string& what, uint64_t max) {
  return Errorf(ErrorCode::kVerifyFailed, "'{}' is longer than the {} bytes allowed", what, max);
}

class DirFetcher : public Fetcher {
 public:
  DirFetcher(std::string dir, const FetcherOptions& options)
      : dir_(std::move(dir)), options_(options) {}

  Status FetchTo(const std::string& url_path, uint64_t max_bytes, const Sink& sink) override {
    // The path is a URL path (target names arrive percent-encoded); on disk
    // it is the decoded name, which must stay below the repository.
    HULL_ASSIGN_OR_RETURN(std::string path, PercentDecodePath(url_path));
    if (path.find("..") != std::string::npos) {
      return Errorf(ErrorCode::kInvalidArgument, "refusing path '{}'", path);
    }
    std::string full = dir_ + "/" + path;
    HULL_ASSIGN_OR_RETURN(File f, File::OpenRead(full));
    HULL_ASSIGN_OR_RETURN(uint64_t size, f.Size());
    if (size > max_bytes) return TooLong(path, max_bytes);
    Bytes buf(static_cast<size_t>(std::min(size, kDirPiece)));
    const auto start = std::chrono::steady_clock::now();
    for (uint64_t off = 0; off < size;) {
      if (options_.run_deadline && std::chrono::steady_clock::now() >= *options_.run_deadline) {
        double spent =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return Errorf(ErrorCode::kTimeout,
                      "'{}': not done after {:.1f} s (deadline: the end of the run (--deadline))",
                      full, spent);
      }
      MutableByteSpan piece(buf.data(), static_cast<size_t>(std::min(kDirPiece, size - off)));
      HULL_TRY(f.ReadAt(off, piece));
      HULL_TRY(sink(piece));
      off += piece.size();
    }
    return {};
  }

 private:
  std::string dir_;
  FetcherOptions options_;
};

class HttpFetcher : public Fetcher {
 public:
  HttpFetcher(std::string base, const FetcherOptions& options)
      : base_(std::move(base)), options_(options) {
    if (!base_.empty() && base_.back() != '/') base_ += '/';
  }

  Status FetchTo(const std::string& path, uint64_t max_bytes, const Sink& sink) override {
    http::GetOptions options;
    options.max_bytes = max_bytes;
    options.run_deadline = options_.run_deadline;
    return http::Get(base_ + path, options, sink);
  }

 private:
  std::string base_;
  FetcherOptions options_;
};

}  // namespace

Result<Bytes> Fetcher::Fetch(const std::string& path, uint64_t max_bytes) {
  Bytes out;
  HULL_TRY(FetchTo(path, max_bytes, [&](ByteSpan piece) -> Status {
    out.insert(out.end(), piece.begin(), piece.end());
    return {};
  }));
  return out;
}

std::unique_ptr<Fetcher> MakeFetcher(const std::string& base, const FetcherOptions& options) {
  if (base.rfind("http://", 0) == 0 || base.rfind("https://", 0) == 0) {
    return std::make_unique<HttpFetcher>(base, options);
  }
  std::string dir = base.rfind("file://", 0) == 0 ? base.substr(7) : base;
  return std::make_unique<DirFetcher>(dir, options);
}

std::optional<std::chrono::steady_clock::time_point> RunDeadline(uint64_t seconds) {
  if (seconds == 0) return std::nullopt;
  // Beyond a year is no deadline (and keeps the sum far from overflow).
  if (seconds > 366ull * 24 * 3600) return std::nullopt;
  return std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
}

}  // namespace hull::tuf
