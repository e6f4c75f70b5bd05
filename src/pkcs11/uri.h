// PKCS#11 URIs (RFC 7512) naming a private key in a token:
//
//   pkcs11:token=Hull%20keys;object=db;type=private?pin-source=file:/run/pin
//
// Path attributes (RFC 7512 §2.3, `;`-separated): token, object, id, type,
// manufacturer, model, serial, library-*, slot-*. Query attributes (`&`-separated
// after `?`): pin-value, pin-source (a file path or file: URI; its first line),
// module-path (the PKCS#11 module). Values are percent-decoded (§2.3); an
// attribute given twice, an unknown path attribute or an empty name is refused.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/result.h"

namespace hull::pkcs11 {

inline constexpr std::string_view kScheme = "pkcs11:";
// The PIN when the URI names none, and the module when it names none.
inline constexpr const char* kPinEnv = "HULL_PKCS11_PIN";
inline constexpr const char* kModuleEnv = "HULL_PKCS11_MODULE";
inline constexpr const char* kDefaultModule = "/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so";

bool IsUri(std::string_view text);

struct Uri {
  std::map<std::string, std::string> path;   // decoded
  std::map<std::string, std::string> query;  // decoded

  // The URI without its query (so without a PIN): safe to print and to store.
  std::string Public() const;
  // Public() plus the query attributes other than pin-value.
  std::string WithoutPin() const;
  // Public() with the PIN as pin-value: what another program's pkcs11 engine
  // takes (secret: never print it). Errors as Pin().
  Result<std::string> WithPin() const;
  // pin-value, else pin-source's first line, else $HULL_PKCS11_PIN. kNotFound
  // names all three when none is set; kIo when pin-source cannot be read.
  Result<std::string> Pin() const;
  // module-path, else $HULL_PKCS11_MODULE, else p11-kit's proxy module.
  std::string Module() const;
};

// kInvalidArgument naming the URI and the fault.
Result<Uri> ParseUri(std::string_view text);

}  // namespace hull::pkcs11
