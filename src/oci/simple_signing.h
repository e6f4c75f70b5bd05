// containers/image "simple signing" with OpenPGP (docs/containers.md,
// "Signing"): the payload naming an image's digest and the reference it is
// published under, signed as an OpenPGP message (oci/openpgp.h), kept in a
// lookaside directory that registries.d points at (`lookaside:
// file:///DIR`, or a web server serving DIR): the policy.json requirement
// {"type": "signedBy", "keyType": "GPGKeys", "keyPath": KEY} verifies it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace hull::oci {

// The payload of both signature schemes: {"critical": {"identity":
// {"docker-reference": R}, "image": {"docker-manifest-digest": D}, "type":
// TYPE}, "optional": {"creator": "hull"[, "timestamp": T]}}, keys sorted,
// no whitespace. `reference` is checked by the caller (CheckDockerReference).
Bytes SignaturePayload(std::string_view type, std::string_view image_digest,
                       std::string_view docker_reference, std::optional<int64_t> timestamp);

// SignaturePayload of type "atomic container signature", timestamp T: what
// an OpenPGP simple signing signs.
Bytes SimpleSigningPayload(std::string_view image_digest, std::string_view docker_reference,
                           int64_t timestamp);

// Where the `index`-th (1-based) signature of `image_digest` published as
// `docker_reference` lies under a lookaside directory:
// DIR/REPOSITORY@sha256=HEX/signature-N, REPOSITORY the reference's path
// without registry host or tag (containers/image's rule).
std::string LookasideSignaturePath(std::string_view dir, std::string_view docker_reference,
                                   std::string_view image_digest, int index);

}  // namespace hull::oci
