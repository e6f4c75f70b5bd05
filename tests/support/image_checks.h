// Independent checks of a finished `hull build` image, shared by the tests
// that build one (build_e2e_test, boot_vm_test): header-only (tests/ is on
// every test's include path); HULL_SOURCE_DIR (set by ctest) finds the data.
//   - ExpectValidSpdx23: the SBOM validates against the vendored SPDX 2.3 JSON
//     schema (tests/data/spdx) with python3-jsonschema, and two mutated copies
//     (no spdxVersion; a package without downloadLocation) are rejected, so
//     the check can fail.
//   - ExpectDissectSeesDpsImage: systemd-dissect (systemd 252) finds the ESP,
//     the root, and /usr with its verity and signature partitions, probes the
//     verity superblock and the signature JSON, and the usr partition UUIDs
//     are the two halves of the root hash (Discoverable Partitions
//     Specification). systemd 252 has no --usr-hash, so its VERITY column
//     stays "no" for /usr; the pairing by UUID is what proves it recognised.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "base/file.h"
#include "base/subprocess.h"

namespace hull::test_support {

inline std::string SourceDir() {
  const char* s = std::getenv("HULL_SOURCE_DIR");
  return s ? s : ".";
}

// tests/data/spdx/validate.py SCHEMA DOC: exit 0 valid, 1 with violations.
inline Result<ProcessOutput> ValidateSpdx(const std::string& doc) {
  const std::string d = SourceDir() + "/tests/data/spdx";
  return RunAllowFailure(
      Command{.argv = {"python3", d + "/validate.py", d + "/spdx-schema-2.3.json", doc},
              .install_hint = "apt-get install python3-jsonschema"});
}

inline void ExpectValidSpdx23(const std::string& sbom, const std::string& scratch) {
  auto v = ValidateSpdx(sbom);
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ(v->exit_code, 0) << v->out << v->err;
  EXPECT_THAT(v->out, ::testing::HasSubstr("valid: " + sbom + " against SPDX 2.3"));

  auto text = ReadFileText(sbom, 64 << 20);
  ASSERT_TRUE(text.ok()) << text.error().ToString();
  auto doc = nlohmann::json::parse(*text);
  ASSERT_GT(doc["packages"].size(), 1u);
  auto no_version = doc;
  no_version.erase("spdxVersion");
  auto no_location = doc;
  no_location["packages"][1].erase("downloadLocation");
  const std::pair<nlohmann::json, std::string> bad[] = {
      {no_version, "/: 'spdxVersion' is a required property"},
      {no_location, "/packages/1: 'downloadLocation' is a required property"}};
  for (const auto& [mutated, message] : bad) {
    const std::string p = scratch + "/mutated.spdx.json";
    ASSERT_TRUE(WriteFileAtomic(p, mutated.dump()).ok());
    auto r = ValidateSpdx(p);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r->exit_code, 1) << r->out << r->err;
    EXPECT_THAT(r->out, ::testing::HasSubstr(message));
  }
}

// "3134cf91...": the UUID form of 32 hex digits.
inline std::string UuidOfHex(const std::string& h) {
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

inline void ExpectDissectSeesDpsImage(const std::string& raw, const std::string& root_hash,
                                      const std::string& image_version) {
  ASSERT_EQ(root_hash.size(), 64u);
  auto d = hull::Run(Command{.argv = {"systemd-dissect", "--json=short", raw},
                             .timeout = std::chrono::minutes(2)});
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  auto j = nlohmann::json::parse(d->out);
  EXPECT_THAT(j["osRelease"].dump(), ::testing::HasSubstr("ID=hull"));
  EXPECT_THAT(j["osRelease"].dump(), ::testing::HasSubstr("IMAGE_VERSION=" + image_version));
  EXPECT_EQ(j["useBootableUefi"], true);
  std::map<std::string, nlohmann::json> by;
  for (const auto& m : j["mounts"]) by[m["designator"]] = m;
  // Slot B (labelled _empty) is ignored by systemd, as it must be.
  ASSERT_EQ(by.size(), 5u) << d->out;
  for (const char* n : {"esp", "usr", "usr-verity", "usr-verity-sig", "root"})
    ASSERT_TRUE(by.count(n)) << n << " missing:\n" << d->out;
  EXPECT_EQ(by["esp"]["fstype"], "vfat");
  EXPECT_EQ(by["esp"]["partno"], 1);
  EXPECT_EQ(by["usr"]["fstype"], "erofs");
  EXPECT_EQ(by["usr"]["rw"], "ro");
  EXPECT_EQ(by["usr"]["architecture"], "x86-64");
  EXPECT_EQ(by["usr"]["partition_uuid"], UuidOfHex(root_hash.substr(0, 32)));
  EXPECT_EQ(by["usr-verity"]["fstype"], "DM_verity_hash");
  EXPECT_EQ(by["usr-verity"]["partition_uuid"], UuidOfHex(root_hash.substr(32, 32)));
  EXPECT_EQ(by["usr-verity-sig"]["fstype"], "verity_hash_signature");
  EXPECT_EQ(by["usr-verity-sig"]["rw"], "ro");
  EXPECT_EQ(by["root"]["fstype"], "ext4");
  EXPECT_EQ(by["root"]["growfs"], true);
}

}  // namespace hull::test_support
