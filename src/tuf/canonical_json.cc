#include "tuf/canonical_json.h"

namespace hull::tuf {
namespace {

Status Encode(const nlohmann::json& v, std::string& out) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      out += "null";
      return Ok();
    case nlohmann::json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return Ok();
    case nlohmann::json::value_t::number_integer:
      out += std::to_string(v.get<int64_t>());
      return Ok();
    case nlohmann::json::value_t::number_unsigned:
      out += std::to_string(v.get<uint64_t>());
      return Ok();
    case nlohmann::json::value_t::number_float:
      return Error(ErrorCode::kInvalidArgument, "canonical JSON has no floating-point numbers");
    case nlohmann::json::value_t::string: {
      out += '"';
      for (char c : v.get_ref<const std::string&>()) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
      return Ok();
    }
    case nlohmann::json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) out += ',';
        first = false;
        HULL_TRY(Encode(e, out));
      }
      out += ']';
      return Ok();
    }
    case nlohmann::json::value_t::object: {
      // nlohmann::json (not ordered_json) keeps keys in std::map order:
      // byte-wise, which is code-point order for UTF-8.
      out += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ',';
        first = false;
        HULL_TRY(Encode(nlohmann::json(it.key()), out));
        out += ':';
        HULL_TRY(Encode(it.value(), out));
      }
      out += '}';
      return Ok();
    }
    default:
      return Error(ErrorCode::kInvalidArgument, "value cannot be encoded as canonical JSON");
  }
}

}  // namespace

Result<std::string> CanonicalJson(const nlohmann::json& value) {
  std::string out;
  HULL_TRY(Encode(value, out));
  return out;
}

}  // namespace hull::tuf
