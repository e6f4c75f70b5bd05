#include "rootfs/sbom.h"

#include <fmt/format.h>

#include <cctype>
#include <ctime>
#include <set>

#include "base/hex.h"
#include "crypto/digest.h"

namespace hull::rootfs {

std::string SpdxIdSafe(std::string_view s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.') ? c : '-';
  return out;
}

namespace {

std::string PercentEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~') {
      out += char(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string Iso8601(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void CollectLicenseRefs(const std::string& expr, std::set<std::string>& refs) {
  size_t p = 0;
  while ((p = expr.find("LicenseRef-", p)) != std::string::npos) {
    size_t e = p;
    while (e < expr.size() && expr[e] != ' ' && expr[e] != ')') ++e;
    refs.insert(expr.substr(p, e - p));
    p = e;
  }
}

nlohmann::json PackageJson(const PackageInfo& p, const std::string& suite) {
  nlohmann::json j{
      {"SPDXID", "SPDXRef-Package-deb-" + SpdxIdSafe(p.name) + "-" + SpdxIdSafe(p.arch)},
      {"name", p.name},
      {"versionInfo", p.version},
      {"supplier", "Organization: Debian"},
      {"downloadLocation", "NOASSERTION"},
      {"filesAnalyzed", false},
      {"licenseConcluded", "NOASSERTION"},
      {"licenseDeclared", p.license_spdx.empty() ? "NOASSERTION" : p.license_spdx},
      {"copyrightText", "NOASSERTION"},
      {"sourceInfo", fmt::format("built package from: {} {}", p.source, p.source_version)},
      {"externalRefs",
       {{{"referenceCategory", "PACKAGE-MANAGER"},
         {"referenceType", "purl"},
         {"referenceLocator", DebPurl(p, suite)}}}},
  };
  if (!p.deb_sha256.empty()) {
    j["checksums"] = {{{"algorithm", "SHA256"}, {"checksumValue", p.deb_sha256}}};
    j["packageFileName"] = p.deb_file;
  }
  return j;
}

}  // namespace

std::string DebPurl(const PackageInfo& p, const std::string& suite) {
  return fmt::format("pkg:deb/debian/{}@{}?arch={}&distro={}", PercentEncode(p.name),
                     PercentEncode(p.version), PercentEncode(p.arch), PercentEncode(suite));
}

nlohmann::json BuildSpdx(const SbomInfo& info, const std::vector<PackageInfo>& packages) {
  const std::string os_id = "SPDXRef-OperatingSystem";
  nlohmann::json pkgs = nlohmann::json::array();
  pkgs.push_back({{"SPDXID", os_id},
                  {"name", info.image_name},
                  {"versionInfo", info.image_version},
                  // The JSON schema spells the purpose with an underscore (the tag-value
                  // form is OPERATING-SYSTEM; SPDX 2.3 clause 7.24).
                  {"primaryPackagePurpose", "OPERATING_SYSTEM"},
                  {"downloadLocation", "NOASSERTION"},
                  {"filesAnalyzed", false},
                  {"licenseConcluded", "NOASSERTION"},
                  {"licenseDeclared", "NOASSERTION"},
                  {"copyrightText", "NOASSERTION"}});
  nlohmann::json rels = nlohmann::json::array();
  rels.push_back({{"spdxElementId", "SPDXRef-DOCUMENT"},
                  {"relationshipType", "DESCRIBES"},
                  {"relatedSpdxElement", os_id}});
  std::set<std::string> refs;
  std::set<std::string> ids;
  for (const auto& p : packages) {
    auto j = PackageJson(p, info.suite);
    // SPDXIDs must be unique; names differing only in + or - would collide.
    std::string id = j["SPDXID"];
    for (int n = 2; !ids.insert(id).second; ++n)
      id = fmt::format("{}-{}", j["SPDXID"].get<std::string>(), n);
    j["SPDXID"] = id;
    rels.push_back({{"spdxElementId", os_id},
                    {"relationshipType", "CONTAINS"},
                    {"relatedSpdxElement", j["SPDXID"]}});
    CollectLicenseRefs(p.license_spdx, refs);
    pkgs.push_back(std::move(j));
  }
  nlohmann::json extracted = nlohmann::json::array();
  for (const auto& r : refs) {
    extracted.push_back(
        {{"licenseId", r},
         {"name", r.substr(11)},
         {"extractedText", "A license named '" + r.substr(11) +
                               "' in a Debian copyright file; see /usr/share/doc/<package>/"
                               "copyright of the packages declaring it."}});
  }
  nlohmann::json doc{
      {"spdxVersion", "SPDX-2.3"},
      {"dataLicense", "CC0-1.0"},
      {"SPDXID", "SPDXRef-DOCUMENT"},
      {"name", info.image_name + "-" + info.image_version},
      {"creationInfo",
       {{"created", Iso8601(info.created)}, {"creators", {"Tool: hull-" + info.tool_version}}}},
      {"packages", pkgs},
      {"relationships", rels},
  };
  if (!extracted.empty()) doc["hasExtractedLicensingInfos"] = extracted;
  // The namespace names this exact content (SPDX 2.3 clause 6.5: unique per document).
  std::string digest = HexEncode(crypto::Sha256(AsBytes(doc.dump())));
  doc["documentNamespace"] =
      fmt::format("https://spdx.hull.invalid/{}-{}-{}", SpdxIdSafe(info.image_name),
                  info.image_version, digest.substr(0, 32));
  return doc;
}

}  // namespace hull::rootfs
