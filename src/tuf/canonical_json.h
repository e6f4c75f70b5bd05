// Canonical JSON as TUF signs it (the OLPC form securesystemslib and
// @tufjs/canonical-json implement): object keys sorted by code point, no
// whitespace, strings with only '"' and '\' escaped, integers only.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace hull::tuf {

// kInvalidArgument for floating-point numbers (not representable).
Result<std::string> CanonicalJson(const nlohmann::json& value);

}  // namespace hull::tuf
