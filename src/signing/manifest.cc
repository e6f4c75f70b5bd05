#include "signing/manifest.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <set>

namespace hull::signing {
namespace {

Result<std::string> StringField(const nlohmann::json& j, const char* field,
                                std::string_view where) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_string()) {
    return Errorf(ErrorCode::kCorrupt, "{}: '{}' is missing or not a string", where, field);
  }
  return it->get<std::string>();
}

bool IsHex64(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

Result<Item> ParseItem(const nlohmann::json& j, size_t index) {
  const std::string where = fmt::format("manifest item {}", index);
  if (!j.is_object()) return Errorf(ErrorCode::kCorrupt, "{} is not an object", where);
  Item it;
  HULL_ASSIGN_OR_RETURN(it.name, StringField(j, "name", where));
  if (!ValidItemName(it.name)) {
    return Errorf(ErrorCode::kCorrupt, "{}: name '{}' is not 1-64 of [A-Za-z0-9._-]", where,
                  it.name);
  }
  const std::string named = fmt::format("manifest item '{}'", it.name);
  HULL_ASSIGN_OR_RETURN(it.kind, StringField(j, "kind", named));
  HULL_ASSIGN_OR_RETURN(it.role, StringField(j, "role", named));
  HULL_ASSIGN_OR_RETURN(std::string algorithm, StringField(j, "algorithm", named));
  HULL_ASSIGN_OR_RETURN(it.algorithm, crypto::ParseSignatureAlgorithm(algorithm).Context(named));
  HULL_ASSIGN_OR_RETURN(it.payload_sha256, StringField(j, "payload_sha256", named));
  HULL_ASSIGN_OR_RETURN(it.public_key_sha256, StringField(j, "public_key_sha256", named));
  if (!IsHex64(it.payload_sha256) || !IsHex64(it.public_key_sha256)) {
    return Errorf(ErrorCode::kCorrupt, "{}: a sha256 is not 64 lowercase hex digits", named);
  }
  for (auto [field, want] : {std::pair{"payload", it.PayloadFile()},
                             {"public_key", it.PublicKeyFile()},
                             {"signature", it.SignatureFile()}}) {
    HULL_ASSIGN_OR_RETURN(std::string file, StringField(j, field, named));
    if (file != want) {
      return Errorf(ErrorCode::kCorrupt, "{}: '{}' is '{}', not '{}'", named, field, file, want);
    }
  }
  return it;
}

}  // namespace

bool ValidItemName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && name[0] != '.' &&
         name.find_first_not_of(
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
             std::string_view::npos;
}

const Item* Manifest::Find(std::string_view name) const {
  for (const Item& i : items) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

std::string EncodeManifest(const Manifest& m) {
  nlohmann::ordered_json j;
  j["format"] = kManifestFormat;
  j["command"] = m.command;
  if (!m.subject.empty()) j["subject"] = m.subject;
  j["items"] = nlohmann::ordered_json::array();
  for (const Item& i : m.items) {
    nlohmann::ordered_json e;
    e["name"] = i.name;
    e["kind"] = i.kind;
    e["role"] = i.role;
    e["algorithm"] = crypto::SignatureAlgorithmName(i.algorithm);
    e["payload"] = i.PayloadFile();
    e["payload_sha256"] = i.payload_sha256;
    e["public_key"] = i.PublicKeyFile();
    e["public_key_sha256"] = i.public_key_sha256;
    e["signature"] = i.SignatureFile();
    j["items"].push_back(std::move(e));
  }
  return j.dump(2) + "\n";
}

Result<Manifest> ParseManifest(std::string_view text) {
  if (text.size() > kMaxManifestBytes) {
    return Errorf(ErrorCode::kCorrupt, "manifest is larger than {} bytes", kMaxManifestBytes);
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Error(ErrorCode::kCorrupt, "manifest is not a JSON object");
  }
  HULL_ASSIGN_OR_RETURN(std::string format, StringField(j, "format", "manifest"));
  if (format != kManifestFormat) {
    return Errorf(ErrorCode::kCorrupt, "manifest format '{}' is not '{}'", format, kManifestFormat);
  }
  Manifest m;
  HULL_ASSIGN_OR_RETURN(m.command, StringField(j, "command", "manifest"));
  if (j.contains("subject")) {
    HULL_ASSIGN_OR_RETURN(m.subject, StringField(j, "subject", "manifest"));
  }
  auto items = j.find("items");
  if (items == j.end() || !items->is_array()) {
    return Error(ErrorCode::kCorrupt, "manifest: 'items' is missing or not an array");
  }
  if (items->size() > kMaxItems) {
    return Errorf(ErrorCode::kCorrupt, "manifest has more than {} items", kMaxItems);
  }
  std::set<std::string> names;
  for (size_t i = 0; i < items->size(); ++i) {
    HULL_ASSIGN_OR_RETURN(Item item, ParseItem((*items)[i], i));
    if (!names.insert(item.name).second) {
      return Errorf(ErrorCode::kCorrupt, "manifest names item '{}' twice", item.name);
    }
    m.items.push_back(std::move(item));
  }
  return m;
}

}  // namespace hull::signing
