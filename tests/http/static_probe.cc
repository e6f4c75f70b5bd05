// hull-http-static-probe BASE PATH: fetches BASE/PATH through the TUF fetcher
// (src/tuf over src/http, hashing with src/crypto) and prints
// "<sha256 hex> <bytes>". Built with -static, as hull-agent is, to prove the
// node's download path links without shared libraries; the oracle test runs
// it against nginx.
#include <cstdio>

#include "base/hex.h"
#include "crypto/digest.h"
#include "tuf/fetcher.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s BASE PATH\n", argv[0]);
    return 2;
  }
  auto fetcher = hull::tuf::MakeFetcher(argv[1]);
  hull::crypto::Hasher h(hull::crypto::DigestAlgorithm::kSha256);
  uint64_t size = 0;
  hull::Status s = fetcher->FetchTo(argv[2], uint64_t{1} << 32, [&](hull::ByteSpan p) {
    h.Update(p);
    size += p.size();
    return hull::Status{};
  });
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.error().ToString().c_str());
    return 1;
  }
  std::printf("%s %llu\n", hull::HexEncode(h.Final()).c_str(),
              static_cast<unsigned long long>(size));
  return 0;
}
