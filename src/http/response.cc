#include "http/response.h"

#include <algorithm>

namespace hull::http {
namespace {

Error Corrupt(std::string_view what) {
  return Errorf(ErrorCode::kCorrupt, "malformed HTTP response: {}", what);
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

// RFC 9110 §5.6.2 tchar.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Field values and reason phrases: VCHAR, SP, HTAB and obs-text; no controls.
bool IsTextChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits a comma-separated list value (RFC 9110 §5.6.1), skipping empty elements.
std::vector<std::string_view> SplitList(std::string_view v) {
  std::vector<std::string_view> out;
  while (true) {
    size_t comma = v.find(',');
    std::string_view item = TrimOws(v.substr(0, comma));
    if (!item.empty()) out.push_back(item);
    if (comma == std::string_view::npos) return out;
    v.remove_prefix(comma + 1);
  }
}

Result<uint64_t> ParseDecimal(std::string_view s, std::string_view what) {
  if (s.empty() || s.size() > 19) return Corrupt(fmt::format("bad {} '{}'", what, s.substr(0, 40)));
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Corrupt(fmt::format("bad {} '{}'", what, s.substr(0, 40)));
    v = v * 10 + static_cast<uint64_t>(c - '0');  // 19 digits cannot overflow
  }
  return v;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string_view> ResponseHead::Field(std::string_view name) const {
  for (const auto& [n, v] : fields) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<uint64_t> ResponseParser::content_length() const {
  return framing_ == Framing::kLength ? content_length_ : std::nullopt;
}

Result<bool> ResponseParser::TakeLine(ByteSpan& data, size_t cap, std::string_view what,
                                      size_t limit) {
  auto nl = std::find(data.begin(), data.end(), uint8_t{'\n'});
  bool found = nl != data.end();
  size_t n = found ? static_cast<size_t>(nl - data.begin()) + 1 : data.size();
  if (line_.size() + n > cap) return Corrupt(fmt::format("{} longer than {} bytes", what, limit));
  line_.append(AsChars(data.first(n)));
  data = data.subspan(n);
  if (!found) return false;
  line_.pop_back();
  // RFC 9112 §2.2: a bare LF ends a line too; a CR anywhere else is refused.
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  if (line_.find('\r') != std::string::npos) return Corrupt(fmt::format("bare CR in {}", what));
  return true;
}

Status ResponseParser::OnStatusLine(std::string_view line) {
  // status-line = "HTTP/1." DIGIT SP 3DIGIT [SP reason-phrase]  (RFC 9112 §4)
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[7] < '0' || line[7] > '9' ||
      line[8] != ' ') {
    return Corrupt(fmt::format("bad status line '{}'", line.substr(0, 80)));
  }
  head_.minor_version = line[7] - '0';
  std::string_view code = line.substr(9, 3);
  if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      code[0] < '1' || code[0] > '5') {
    return Corrupt(fmt::format("bad status code '{}'", code));
  }
  head_.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  std::string_view rest = line.substr(12);
  if (!rest.empty() && rest[0] != ' ') return Corrupt("no space after the status code");
  if (!std::all_of(rest.begin(), rest.end(), IsTextChar)) return Corrupt("control byte in reason");
  head_.reason = std::string(TrimOws(rest));
  state_ = State::kHeaders;
  return {};
}

Status ResponseParser::OnFieldLine(std::string_view line, bool trailer) {
  if (line.empty()) return trailer ? (state_ = State::kDone, Status{}) : OnHeadEnd();
  if (line[0] == ' ' || line[0] == '\t') return Corrupt("obsolete line folding");
  if (++fields_ > kMaxHeaders)
    return Corrupt(fmt::format("more than {} header fields", kMaxHeaders));
  size_t colon = line.find(':');
  std::string_view name = line.substr(0, colon);
  if (colon == std::string_view::npos || name.empty() ||
      !std::all_of(name.begin(), name.end(), IsTokenChar)) {
    return Corrupt(fmt::format("bad header line '{}'", line.substr(0, 80)));
  }
  std::string_view value = TrimOws(line.substr(colon + 1));
  if (!std::all_of(value.begin(), value.end(), IsTextChar)) {
    return Corrupt(fmt::format("control byte in header '{}'", name));
  }
  if (trailer) return {};  // validated and counted, not kept: nothing here uses trailers
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), Lower);
  head_.fields.emplace_back(std::move(lower), std::string(value));
  return {};
}

Status ResponseParser::OnHeadEnd() {
  int s = head_.status;
  if (s >= 100 && s < 200) {
    if (s == 101) return Errorf(ErrorCode::kUnsupported, "server switched protocols (HTTP 101)");
    if (++interim_ > kMaxInterimResponses) return Corrupt("too many interim (1xx) responses");
    head_ = ResponseHead{};
    head_bytes_ = 0;
    fields_ = 0;
    state_ = State::kStatusLine;
    return {};
  }
  // RFC 9112 §6.3 rules 1-8, in order.
  if (head_request_ || s == 204 || s == 304) {
    framing_ = Framing::kNone;
    state_ = State::kDone;
    return {};
  }
  std::vector<std::string_view> codings, lengths;
  for (const auto& [n, v] : head_.fields) {
    auto& into = n == "transfer-encoding" ? codings : lengths;
    if (n == "transfer-encoding" || n == "content-length") {
      for (auto item : SplitList(v)) into.push_back(item);
    }
  }
  if (!codings.empty()) {
    if (!lengths.empty()) return Corrupt("both Transfer-Encoding and Content-Length");
    for (auto c : codings) {
      if (!EqualsIgnoreCase(c, "chunked")) {
        return Errorf(ErrorCode::kUnsupported, "unsupported transfer coding '{}'", c.substr(0, 40));
      }
    }
    if (codings.size() != 1) return Corrupt("chunked applied more than once");
    framing_ = Framing::kChunked;
    state_ = State::kChunkLine;
    return {};
  }
  if (!lengths.empty()) {
    HULL_ASSIGN_OR_RETURN(uint64_t len, ParseDecimal(lengths[0], "Content-Length"));
    for (auto l : lengths) {
      HULL_ASSIGN_OR_RETURN(uint64_t other, ParseDecimal(l, "Content-Length"));
      if (other != len) return Corrupt("conflicting Content-Length values");
    }
    framing_ = Framing::kLength;
    content_length_ = len;
    remaining_ = len;
    state_ = len == 0 ? State::kDone : State::kLength;
    return {};
  }
  framing_ = Framing::kClose;
  state_ = State::kClose;
  return {};
}

Status ResponseParser::OnChunkLine(std::string_view line) {
  // chunk = chunk-size [ chunk-ext ] CRLF  (RFC 9112 §7.1)
  uint64_t size = 0;
  size_t i = 0;
  for (; i < line.size() && HexValue(line[i]) >= 0; ++i) {
    if (size > (kMaxChunkSize >> 4)) {
      return Corrupt(fmt::format("chunk larger than {} bytes", kMaxChunkSize));
    }
    size = (size << 4) | static_cast<uint64_t>(HexValue(line[i]));
  }
  if (i == 0) return Corrupt(fmt::format("bad chunk size line '{}'", line.substr(0, 40)));
  if (size > kMaxChunkSize)
    return Corrupt(fmt::format("chunk larger than {} bytes", kMaxChunkSize));
  std::string_view ext = TrimOws(line.substr(i));
  if (!ext.empty() && ext[0] != ';') {
    return Corrupt(fmt::format("bad chunk size line '{}'", line.substr(0, 40)));
  }
  if (!std::all_of(ext.begin(), ext.end(), IsTextChar))
    return Corrupt("control byte in chunk line");
  if (size == 0) {
    head_bytes_ = 0;
    fields_ = 0;
    state_ = State::kTrailers;
  } else {
    remaining_ = size;
    state_ = State::kChunkData;
  }
  return {};
}

Status ResponseParser::FeedBody(ByteSpan& data, const BodySink& sink) {
  size_t n = data.size();
  if (state_ != State::kClose && remaining_ < n) n = static_cast<size_t>(remaining_);
  ByteSpan piece = data.first(n);
  data = data.subspan(n);
  body_bytes_ += n;
  if (state_ != State::kClose) {
    remaining_ -= n;
    if (remaining_ == 0) state_ = state_ == State::kLength ? State::kDone : State::kChunkEnd;
  }
  return sink(piece);
}

Status ResponseParser::Step(ByteSpan& data, const BodySink& sink) {
  switch (state_) {
    case State::kStatusLine:
    case State::kHeaders:
    case State::kTrailers: {
      size_t before = line_.size() + data.size();
      HULL_ASSIGN_OR_RETURN(
          bool complete, TakeLine(data, kMaxHeadBytes - head_bytes_,
                                  state_ == State::kTrailers ? "trailer section" : "response head",
                                  kMaxHeadBytes));
      if (!complete) return {};
      head_bytes_ += before - data.size();
      std::string line = std::move(line_);
      line_.clear();
      if (state_ == State::kStatusLine) return OnStatusLine(line);
      return OnFieldLine(line, state_ == State::kTrailers);
    }
    case State::kChunkLine:
    case State::kChunkEnd: {
      bool end = state_ == State::kChunkEnd;
      size_t cap = end ? 2 : kMaxChunkLineBytes;
      HULL_ASSIGN_OR_RETURN(bool complete,
                            TakeLine(data, cap, end ? "chunk terminator" : "chunk size line", cap));
      if (!complete) return {};
      std::string line = std::move(line_);
      line_.clear();
      if (!end) return OnChunkLine(line);
      if (!line.empty()) return Corrupt("chunk data not followed by CRLF");
      state_ = State::kChunkLine;
      return {};
    }
    case State::kLength:
    case State::kChunkData:
    case State::kClose:
      return FeedBody(data, sink);
    case State::kDone:
      return Corrupt(fmt::format("{} bytes after the end of the response", data.size()));
  }
  return Error(ErrorCode::kInternal, "bad parser state");
}

Status ResponseParser::Feed(ByteSpan data, const BodySink& sink) {
  while (!data.empty()) HULL_TRY(Step(data, sink));
  return {};
}

Status ResponseParser::Finish() {
  switch (state_) {
    case State::kDone:
      return {};
    case State::kClose:
      state_ = State::kDone;
      return {};
    case State::kStatusLine:
      if (line_.empty() && interim_ == 0) {
        return Error(ErrorCode::kUnavailable, "connection closed before a response arrived");
      }
      [[fallthrough]];
    case State::kHeaders:
      return Error(ErrorCode::kUnavailable, "connection closed inside the response head");
    case State::kLength:
      return Errorf(ErrorCode::kUnavailable, "connection closed after {} of {} body bytes",
                    body_bytes_, *content_length_);
    default:
      return Errorf(ErrorCode::kUnavailable,
                    "connection closed inside the chunked body after {} bytes", body_bytes_);
  }
}

}  // namespace hull::http
