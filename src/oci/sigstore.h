// Sigstore signatures of an image, stored the way containers/image (skopeo,
// podman, CRI-O) and cosign find them in a registry (docs/containers.md,
// "Signing"): beside the image, an OCI manifest tagged
// `sha256-<hex of the image's digest>.sig` whose layers are signed payloads
// ("simple signing" JSON naming the image's digest and the reference it is
// published under), each with its base64 signature in an annotation.
//
// Hull writes that manifest into the image's layout, so whatever copies the
// layout's tags to a registry publishes the signature with the image; a
// policy.json `sigstoreSigned` requirement with the signer's public key then
// accepts the image and refuses it unsigned, re-signed or altered.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "oci/layout.h"

namespace hull::oci {

inline constexpr char kMediaTypeSimpleSigning[] =
    "application/vnd.dev.cosign.simplesigning.v1+json";
inline constexpr char kAnnotationSigstoreSignature[] = "dev.cosignproject.cosign/signature";

// A fully qualified reference an image is published under: a registry host
// (a name with a dot, "localhost", or either with a port), a repository
// path of lowercase components, and an optional tag; no digest.
// kInvalidArgument naming what is wrong.
Status CheckDockerReference(std::string_view reference);

// "sha256-<hex>.sig" for "sha256:<hex>"; whether `name` has that form.
std::string SigstoreTag(std::string_view image_digest);
bool IsSigstoreTag(std::string_view name);

// The signed payload: {"critical": {"identity": {"docker-reference": R},
// "image": {"docker-manifest-digest": D}, "type": "cosign container image
// signature"}, "optional": {"creator": "hull"}}, keys sorted, no whitespace.
Bytes SigstorePayload(std::string_view image_digest, std::string_view docker_reference);

// Adds to `layout` the signature manifest of `image` (its payload as the one
// layer, `signature` base64 in the layer's annotation, the config
// containers/image writes for one) under SigstoreTag(image.digest),
// replacing an earlier one.
void AddSigstoreSignature(Layout& layout, const Descriptor& image, ByteSpan payload,
                          ByteSpan signature);

}  // namespace hull::oci
