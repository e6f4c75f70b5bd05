#include "oci/sigstore.h"

#include <fmt/format.h>

#include <algorithm>
#include <regex>

#include "crypto/base64.h"
#include "oci/simple_signing.h"

namespace hull::oci {
namespace {

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

Status CheckDockerReference(std::string_view reference) {
  // distribution's reference grammar: domain[:port]/component(/component)*[:tag].
  static const std::regex kDomain(
      R"(^(localhost|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+|\[[0-9a-fA-F:]+\])(:[0-9]{1,5})?$)");
  static const std::regex kComponent(R"(^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$)");
  static const std::regex kTag(R"(^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$)");
  auto bad = [&](std::string_view why) {
    return Errorf(ErrorCode::kInvalidArgument,
                  "'{}' is not a reference to publish an image under ({}): write "
                  "REGISTRY/REPOSITORY[:TAG], e.g. registry.example.com/hull/static:latest",
                  reference, why);
  };
  if (reference.empty() || reference.size() > 255) return bad("empty or longer than 255");
  if (reference.find('@') != std::string_view::npos) return bad("a digest is not a reference");
  std::string ref(reference);
  const size_t slash = ref.find('/');
  if (slash == std::string::npos) return bad("no registry");
  if (!std::regex_match(ref.substr(0, slash), kDomain))
    return bad("its first part is not a registry host");
  std::string path = ref.substr(slash + 1);
  const size_t last = path.rfind('/');
  const size_t colon = path.find(':', last == std::string::npos ? 0 : last);
  if (colon != std::string::npos) {
    if (!std::regex_match(path.substr(colon + 1), kTag)) return bad("bad tag");
    path.resize(colon);
  }
  size_t start = 0;
  while (true) {
    const size_t end = path.find('/', start);
    if (!std::regex_match(path.substr(start, end - start), kComponent))
      return bad("a repository component is not lowercase letters, digits and separators");
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return Ok();
}

std::string SigstoreTag(std::string_view image_digest) {
  std::string tag(image_digest);
  std::replace(tag.begin(), tag.end(), ':', '-');
  return tag + ".sig";
}

bool IsSigstoreTag(std::string_view name) {
  constexpr std::string_view kPrefix = "sha256-", kSuffix = ".sig";
  return name.size() == kPrefix.size() + 64 + kSuffix.size() && name.starts_with(kPrefix) &&
         name.ends_with(kSuffix) && IsLowerHex(name.substr(kPrefix.size(), 64));
}

Bytes SigstorePayload(std::string_view image_digest, std::string_view docker_reference) {
  return SignaturePayload("cosign container image signature", image_digest, docker_reference,
                          std::nullopt);
}

void AddSigstoreSignature(Layout& layout, const Descriptor& image, ByteSpan payload,
                          ByteSpan signature) {
  Descriptor layer = layout.AddBlob(Bytes(payload.begin(), payload.end()), kMediaTypeSimpleSigning);
  layer.annotations[kAnnotationSigstoreSignature] = crypto::Base64Encode(signature);
  // containers/image's config of a signature manifest: an image config with
  // the payloads as rootfs.diff_ids and nothing else.
  ImageConfig config;
  config.platform = {.architecture = "", .os = "", .variant = ""};
  config.diff_ids = {layer.digest};
  Descriptor config_d = layout.AddBlob(ConfigJson(config), kMediaTypeConfig);
  const std::string tag = SigstoreTag(image.digest);
  Descriptor manifest = layout.AddBlob(ManifestJson(config_d, {layer}, {}), kMediaTypeManifest);
  manifest.annotations[kAnnotationRefName] = tag;
  std::vector<Descriptor> index;
  for (const auto& d : layout.index()) {
    auto it = d.annotations.find(kAnnotationRefName);
    if (it == d.annotations.end() || it->second != tag) index.push_back(d);
  }
  index.push_back(std::move(manifest));
  layout.SetIndex(std::move(index));
}

}  // namespace hull::oci
