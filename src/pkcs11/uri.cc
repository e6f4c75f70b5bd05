#include "pkcs11/uri.h"

#include <cstdlib>
#include <set>

#include "base/file.h"

namespace hull::pkcs11 {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> Decode(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '%') {
      out += v[i];
      continue;
    }
    int hi = i + 2 < v.size() ? HexValue(v[i + 1]) : -1;
    int lo = i + 2 < v.size() ? HexValue(v[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      return Error(ErrorCode::kInvalidArgument, "a '%' not followed by two hex digits");
    out += char(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// RFC 7512 §2.3 pk11-unreserved plus pk11-path-res or pk11-query-res: what
// may stay unencoded when printing a value.
std::string Encode(std::string_view v, char sep) {
  const std::string_view keep = sep == ';' ? "-._~:[]@!$'()*+,=&" : "-._~:[]@!$'()*+,=/?|";
  std::string out;
  for (char c : v) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum || keep.find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

bool KnownPathAttribute(const std::string& name) {
  static const std::set<std::string> kNames = {"token",
                                               "object",
                                               "id",
                                               "type",
                                               "manufacturer",
                                               "model",
                                               "serial",
                                               "library-manufacturer",
                                               "library-description",
                                               "library-version",
                                               "slot-description",
                                               "slot-manufacturer",
                                               "slot-id"};
  return kNames.count(name) > 0;
}

Status ParseAttributes(std::string_view part, char sep, std::map<std::string, std::string>& out,
                       bool path) {
  while (!part.empty()) {
    size_t end = part.find(sep);
    std::string_view item = part.substr(0, end);
    part = end == std::string_view::npos ? std::string_view() : part.substr(end + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Errorf(ErrorCode::kInvalidArgument, "'{}' is not an attribute=value pair", item);
    }
    std::string name(item.substr(0, eq));
    if (path && !KnownPathAttribute(name)) {
      return Errorf(ErrorCode::kInvalidArgument, "unknown path attribute '{}'", name);
    }
    HULL_ASSIGN_OR_RETURN(std::string value, Decode(item.substr(eq + 1)).Context(name));
    if (!out.emplace(name, std::move(value)).second) {
      return Errorf(ErrorCode::kInvalidArgument, "attribute '{}' is given twice", name);
    }
  }
  return Ok();
}

std::string Join(const std::map<std::string, std::string>& attrs, char sep, bool skip_pin) {
  std::string out;
  for (const auto& [name, value] : attrs) {
    if (skip_pin && name == "pin-value") continue;
    if (!out.empty()) out += sep;
    out += name + "=" + Encode(value, sep);
  }
  return out;
}

}  // namespace

bool IsUri(std::string_view text) { return text.substr(0, kScheme.size()) == kScheme; }

Result<Uri> ParseUri(std::string_view text) {
  auto fail = [&](const Error& e) {
    return Errorf(ErrorCode::kInvalidArgument, "PKCS#11 URI '{}': {}",
                  text.substr(0, text.find('?')), e.ToString());
  };
  if (!IsUri(text)) return fail(Error(ErrorCode::kInvalidArgument, "does not start with pkcs11:"));
  std::string_view rest = text.substr(kScheme.size());
  size_t q = rest.find('?');
  Uri uri;
  Status st = ParseAttributes(rest.substr(0, q), ';', uri.path, /*path=*/true);
  if (st.ok() && q != std::string_view::npos) {
    st = ParseAttributes(rest.substr(q + 1), '&', uri.query, /*path=*/false);
  }
  if (!st.ok()) return fail(st.error());
  if (uri.query.count("pin-value") && uri.query.count("pin-source")) {
    return fail(Error(ErrorCode::kInvalidArgument, "pin-value and pin-source are both given"));
  }
  return uri;
}

std::string Uri::Public() const { return std::string(kScheme) + Join(path, ';', false); }

std::string Uri::WithoutPin() const {
  std::string q = Join(query, '&', /*skip_pin=*/true);
  return q.empty() ? Public() : Public() + "?" + q;
}

Result<std::string> Uri::WithPin() const {
  HULL_ASSIGN_OR_RETURN(std::string pin, Pin());
  return Public() + "?pin-value=" + Encode(pin, '&');
}

Result<std::string> Uri::Pin() const {
  if (auto v = query.find("pin-value"); v != query.end()) return v->second;
  if (auto s = query.find("pin-source"); s != query.end()) {
    std::string path = s->second.rfind("file:", 0) == 0 ? s->second.substr(5) : s->second;
    HULL_ASSIGN_OR_RETURN(std::string text,
                          ReadFileText(path, 4096).Context(fmt::format("pin-source '{}'", path)));
    return text.substr(0, text.find('\n'));
  }
  if (const char* env = std::getenv(kPinEnv)) return std::string(env);
  return Errorf(ErrorCode::kNotFound, "no PIN: add pin-source=FILE to the URI or set {}", kPinEnv);
}

std::string Uri::Module() const {
  if (auto m = query.find("module-path"); m != query.end()) return m->second;
  if (const char* env = std::getenv(kModuleEnv); env && *env) return env;
  return kDefaultModule;
}

}  // namespace hull::pkcs11
