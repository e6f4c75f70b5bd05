// Feeds arbitrary bytes to the HTTP response parser and the URL parser.
// Response: parsed whole and cut in two at a point taken from the input; both
// runs must agree (same outcome, same body), since the parser is incremental.
// URL: a parsed URL must print to a string that parses back to the same URL,
// and resolving the input as a Location against it must not crash.
#include <cstdlib>
#include <string>

#include "http/response.h"
#include "http/url.h"

namespace {

struct Outcome {
  bool ok = false;
  hull::ErrorCode code = hull::ErrorCode::kInternal;
  std::string body;
};

Outcome Run(hull::ByteSpan a, hull::ByteSpan b) {
  hull::http::ResponseParser p;
  Outcome o;
  auto sink = [&](hull::ByteSpan piece) -> hull::Status {
    if (piece.empty()) std::abort();  // the contract: never empty pieces
    o.body.append(hull::AsChars(piece));
    return {};
  };
  hull::Status s = p.Feed(a, sink);
  if (s.ok()) s = p.Feed(b, sink);
  if (s.ok()) s = p.Finish();
  o.ok = s.ok();
  if (!s.ok()) o.code = s.error().code();
  return o;
}

void CheckUrl(std::string_view text) {
  auto u = hull::http::ParseUrl(text);
  if (!u.ok()) return;
  auto again = hull::http::ParseUrl(u->ToString());
  if (!again.ok() || again->tls != u->tls || again->host != u->host || again->port != u->port ||
      again->target != u->target) {
    std::abort();
  }
  (void)hull::http::ResolveLocation(*u, text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  hull::ByteSpan in(data + 1, size - 1);
  CheckUrl(hull::AsChars(in));
  size_t cut = in.empty() ? 0 : data[0] % (in.size() + 1);
  Outcome whole = Run(in, {});
  Outcome split = Run(in.first(cut), in.subspan(cut));
  // An error may be found at different points, but the outcome is the same.
  if (whole.ok != split.ok || whole.code != split.code) std::abort();
  if (whole.ok && whole.body != split.body) std::abort();
  return 0;
}
