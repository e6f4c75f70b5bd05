// A SoftHSM 2 token made in a test's own directory (docs/keys.md), for the
// tests that sign through PKCS#11.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"

namespace hull::test_support {

inline constexpr const char* kSoftHsmModule = "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so";

// Writes DIR/softhsm2.conf (the token store DIR/tokens, file backend) and
// initialises a token labelled `label` there with user PIN `pin` (SO PIN
// 5678, softhsm2-util). Returns the environment hull and softhsm2-util need
// to use it: SOFTHSM2_CONF, HULL_PKCS11_MODULE and HULL_PKCS11_PIN.
Result<std::vector<std::string>> MakeSoftHsmToken(const std::string& dir, const std::string& label,
                                                  const std::string& pin = "1234");

}  // namespace hull::test_support
