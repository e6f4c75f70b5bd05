#include "tuf/fetcher.h"

#include <curl/curl.h>

#include "base/file.h"

namespace hull::tuf {
namespace {

Error TooLong(const std::string& what, uint64_t max) {
  return Errorf(ErrorCode::kVerifyFailed, "'{}' is longer than the {} bytes allowed", what, max);
}

class DirFetcher : public Fetcher {
 public:
  explicit DirFetcher(std::string dir) : dir_(std::move(dir)) {}
  Result<Bytes> Fetch(const std::string& path, uint64_t max_bytes) override {
    if (path.find("..") != std::string::npos) {
      return Errorf(ErrorCode::kInvalidArgument, "refusing path '{}'", path);
    }
    std::string full = dir_ + "/" + path;
    HULL_ASSIGN_OR_RETURN(File f, File::OpenRead(full));
    HULL_ASSIGN_OR_RETURN(uint64_t size, f.Size());
    if (size > max_bytes) return TooLong(path, max_bytes);
    Bytes out(size);
    HULL_TRY(f.ReadAt(0, out));
    return out;
  }

 private:
  std::string dir_;
};

class HttpFetcher : public Fetcher {
 public:
  explicit HttpFetcher(std::string base) : base_(std::move(base)) {
    if (!base_.empty() && base_.back() != '/') base_ += '/';
    curl_global_init(CURL_GLOBAL_DEFAULT);
  }

  Result<Bytes> Fetch(const std::string& path, uint64_t max_bytes) override {
    struct Sink {
      Bytes data;
      uint64_t max;
      bool overflow = false;
    } sink{{}, max_bytes};
    auto write = +[](char* p, size_t size, size_t n, void* ud) -> size_t {
      auto* s = static_cast<Sink*>(ud);
      size_t len = size * n;
      if (s->data.size() + len > s->max) {
        s->overflow = true;
        return 0;  // aborts the transfer
      }
      s->data.insert(s->data.end(), p, p + len);
      return len;
    };
    std::string url = base_ + path;
    CURL* c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (sink.overflow) return TooLong(url, max_bytes);
    if (rc != CURLE_OK) {
      return Errorf(ErrorCode::kUnavailable, "cannot fetch '{}': {}", url, curl_easy_strerror(rc));
    }
    if (status == 404) return Errorf(ErrorCode::kNotFound, "'{}' not found (HTTP 404)", url);
    if (status != 200) return Errorf(ErrorCode::kUnavailable, "'{}': HTTP {}", url, status);
    return std::move(sink.data);
  }

 private:
  std::string base_;
};

}  // namespace

Status Fetcher::FetchTo(const std::string& path, uint64_t max_bytes, const Sink& sink) {
  HULL_ASSIGN_OR_RETURN(Bytes body, Fetch(path, max_bytes));
  return sink(body);
}

std::unique_ptr<Fetcher> MakeFetcher(const std::string& base) {
  if (base.rfind("http://", 0) == 0 || base.rfind("https://", 0) == 0) {
    return std::make_unique<HttpFetcher>(base);
  }
  std::string dir = base.rfind("file://", 0) == 0 ? base.substr(7) : base;
  return std::make_unique<DirFetcher>(dir);
}

}  // namespace hull::tuf
