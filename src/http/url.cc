#include "http/url.h"

#include <algorithm>
#include <charconv>

namespace hull::http {
namespace {

bool IsSchemeDefault(const Url& u) { return u.port == (u.tls ? 443 : 80); }

Error Bad(std::string_view text, std::string_view why) {
  // The URL is quoted only up to a bound, so garbage does not flood logs.
  std::string shown(text.substr(0, 200));
  return Errorf(ErrorCode::kInvalidArgument, "invalid URL '{}': {}", shown, why);
}

// RFC 3986 §3.2.2 reg-name characters plus '.', lowercased on the way.
bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Characters allowed in path and query, unescaped or as %XX (RFC 3986 §3.3, §3.4).
bool IsTargetChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-._~!$&'()*+,;=:@/?%").find(c) != std::string_view::npos;
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

Status CheckTarget(std::string_view text, std::string_view target) {
  for (size_t i = 0; i < target.size(); ++i) {
    char c = target[i];
    if (c == '#') return Bad(text, "fragments are not allowed");
    if (!IsTargetChar(c)) {
      return Bad(text, fmt::format("character 0x{:02x} not allowed in the path",
                                   static_cast<unsigned char>(c)));
    }
    if (c == '%' && (i + 2 >= target.size() || !IsHex(target[i + 1]) || !IsHex(target[i + 2]))) {
      return Bad(text, "bad percent-escape in the path");
    }
  }
  return {};
}

Status ParseHost(std::string_view text, std::string_view host, Url& url) {
  if (host.empty()) return Bad(text, "empty host");
  if (host.front() == '[') {
    if (host.back() != ']' || host.size() < 4) return Bad(text, "unterminated IPv6 literal");
    std::string_view v6 = host.substr(1, host.size() - 2);
    for (char c : v6) {
      if (!IsHex(c) && c != ':' && c != '.') return Bad(text, "bad character in IPv6 literal");
    }
    if (v6.find(':') == std::string_view::npos) return Bad(text, "bad IPv6 literal");
    url.host = std::string(v6);
  } else {
    for (char c : host) {
      if (!IsHostChar(c)) {
        return Bad(text, fmt::format("character 0x{:02x} not allowed in the host",
                                     static_cast<unsigned char>(c)));
      }
    }
    url.host = std::string(host);
  }
  std::transform(url.host.begin(), url.host.end(), url.host.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; });
  return {};
}

Status ParseAuthority(std::string_view text, std::string_view authority, Url& url) {
  if (authority.find('@') != std::string_view::npos) {
    return Bad(text, "user information ('user@') is not allowed");
  }
  std::string_view host = authority;
  std::string_view port;
  size_t bracket = authority.rfind(']');
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  HULL_TRY(ParseHost(text, host, url));
  url.port = url.tls ? 443 : 80;
  if (colon != std::string_view::npos && host.size() == colon) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || port.size() > 5 || ec != std::errc() || end != port.data() + port.size() ||
        value == 0 || value > 65535) {
      return Bad(text, "port must be a number in 1..65535");
    }
    url.port = static_cast<uint16_t>(value);
  }
  return {};
}

}  // namespace

std::string Url::HostPort() const {
  bool v6 = host.find(':') != std::string::npos;
  return v6 ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

std::string Url::HostHeader() const {
  bool v6 = host.find(':') != std::string::npos;
  std::string h = v6 ? "[" + host + "]" : host;
  return IsSchemeDefault(*this) ? h : fmt::format("{}:{}", h, port);
}

std::string Url::ToString() const {
  bool v6 = host.find(':') != std::string::npos;
  std::string h = v6 ? "[" + host + "]" : host;
  std::string p = IsSchemeDefault(*this) ? "" : fmt::format(":{}", port);
  return fmt::format("{}://{}{}{}", tls ? "https" : "http", h, p, target);
}

Result<Url> ParseUrl(std::string_view text) {
  if (text.size() > kMaxUrlBytes) {
    return Bad(text, fmt::format("longer than {} bytes", kMaxUrlBytes));
  }
  Url url;
  std::string_view rest;
  auto starts = [&](std::string_view p) {
    return text.size() >= p.size() &&
           std::equal(p.begin(), p.end(), text.begin(), [](char a, char b) {
             return a == (b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b);
           });
  };
  if (starts("http://")) {
    rest = text.substr(7);
  } else if (starts("https://")) {
    url.tls = true;
    rest = text.substr(8);
  } else {
    return Bad(text, "only http:// and https:// are supported");
  }
  size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string_view target = slash == std::string_view::npos ? "" : rest.substr(slash);
  HULL_TRY(ParseAuthority(text, authority, url));
  HULL_TRY(CheckTarget(text, target));
  if (target.empty() || target.front() == '?') {
    url.target = "/" + std::string(target);
  } else {
    url.target = std::string(target);
  }
  return url;
}

Result<Url> ResolveLocation(const Url& base, std::string_view location) {
  std::string loc(location.substr(0, location.find('#')));
  auto lower_starts = [&](std::string_view p) {
    if (loc.size() < p.size()) return false;
    for (size_t i = 0; i < p.size(); ++i) {
      char c = loc[i];
      if ((c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c) != p[i]) return false;
    }
    return true;
  };
  if (lower_starts("http://") || lower_starts("https://")) return ParseUrl(loc);
  std::string prefix = base.tls ? "https:" : "http:";
  if (loc.rfind("//", 0) == 0) return ParseUrl(prefix + loc);
  std::string origin = prefix + "//" + base.HostHeader();
  if (loc.rfind('/', 0) == 0) return ParseUrl(origin + loc);
  if (loc.find(':') != std::string::npos && loc.find(':') < loc.find('/')) {
    return Errorf(ErrorCode::kInvalidArgument, "redirect to unsupported URL '{}'",
                  loc.substr(0, 200));
  }
  std::string path = base.target.substr(0, base.target.find('?'));
  return ParseUrl(origin + path.substr(0, path.rfind('/') + 1) + loc);
}

}  // namespace hull::http
