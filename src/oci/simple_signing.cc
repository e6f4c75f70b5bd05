#include "oci/simple_signing.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace hull::oci {

Bytes SignaturePayload(std::string_view type, std::string_view image_digest,
                       std::string_view docker_reference, std::optional<int64_t> timestamp) {
  nlohmann::json j = {{"critical",
                       {{"identity", {{"docker-reference", docker_reference}}},
                        {"image", {{"docker-manifest-digest", image_digest}}},
                        {"type", type}}},
                      {"optional", {{"creator", "hull"}}}};
  if (timestamp) j["optional"]["timestamp"] = *timestamp;
  const std::string text = j.dump();
  return Bytes(text.begin(), text.end());
}

Bytes SimpleSigningPayload(std::string_view image_digest, std::string_view docker_reference,
                           int64_t timestamp) {
  return SignaturePayload("atomic container signature", image_digest, docker_reference, timestamp);
}

std::string LookasideSignaturePath(std::string_view dir, std::string_view docker_reference,
                                   std::string_view image_digest, int index) {
  std::string_view path = docker_reference.substr(docker_reference.find('/') + 1);
  const size_t last = path.rfind('/');
  const size_t colon = path.find(':', last == std::string_view::npos ? 0 : last);
  if (colon != std::string_view::npos) path = path.substr(0, colon);
  std::string digest(image_digest);
  const size_t c = digest.find(':');
  if (c != std::string::npos) digest[c] = '=';
  return fmt::format("{}/{}@{}/signature-{}", dir, path, digest, index);
}

}  // namespace hull::oci
