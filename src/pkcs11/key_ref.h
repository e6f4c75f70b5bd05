// Where a signing key is: every flag and key-directory entry that names a
// private key takes one of
//   - a PEM private key file (PKCS#8 or traditional), as before;
//   - a PKCS#11 URI (pkcs11:token=…;object=…;type=private, pkcs11/uri.h);
//   - a key file whose content is such a URI on one line (how a key directory,
//     e.g. `hull keys init --pkcs11`'s, points at token keys: DIR/db.key holds
//     "pkcs11:token=Hull;object=db;type=private", DIR/db.crt the certificate).
#pragma once

#include <string>

#include "crypto/key.h"

namespace hull::pkcs11 {

// Errors: as crypto::PrivateKey::LoadPem for files, as LoadTokenKey for URIs.
Result<crypto::PrivateKey> LoadPrivateKey(const std::string& ref);

// The URI a key file holds, or empty for a PEM file (or a missing one).
std::string ReferencedUri(const std::string& path);

}  // namespace hull::pkcs11
